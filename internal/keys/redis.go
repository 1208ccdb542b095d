package keys

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store shared by replicas. Keys live in hashes of JSON documents; a version
// counter and a pub/sub channel tell replicas to reload. These keys carry no TTL: they
// are the configuration itself (run Redis with persistence if dynamic keys must survive
// a Redis restart).
type Redis struct {
	c                                                     redis.UniversalClient
	keys, callers, overlays, version, lastUsed, lock, chn string
}

var _ Store = (*Redis)(nil)

// NewRedis uses client with keys under prefix (all in one hash tag, one Cluster slot).
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	p := prefix + ":{keys}:"
	return &Redis{c: client, keys: p + "keys", callers: p + "callers", overlays: p + "overlays", version: p + "version", lastUsed: p + "lastused", lock: p + "lock", chn: prefix + ":keys:changed"}
}

func (r *Redis) Load(ctx context.Context) (State, error) {
	pipe := r.c.Pipeline()
	v := pipe.Get(ctx, r.version)
	k := pipe.HGetAll(ctx, r.keys)
	c := pipe.HGetAll(ctx, r.callers)
	u := pipe.HGetAll(ctx, r.lastUsed)
	o := pipe.HGetAll(ctx, r.overlays)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return State{}, fmt.Errorf("load keys: %w", err)
	}
	s := emptyState()
	s.Version, _ = v.Int64()
	for id, doc := range o.Val() {
		var ov Overlay
		if err := json.Unmarshal([]byte(doc), &ov); err != nil {
			return State{}, fmt.Errorf("load overlay %s: %w", id, err)
		}
		s.Overlays[id] = ov
	}
	for id, doc := range k.Val() {
		var key Key
		if err := json.Unmarshal([]byte(doc), &key); err != nil {
			return State{}, fmt.Errorf("load key %s: %w", id, err)
		}
		s.Keys[id] = key
	}
	for name, doc := range c.Val() {
		var cs CallerSettings
		if err := json.Unmarshal([]byte(doc), &cs); err != nil {
			return State{}, fmt.Errorf("load caller %s: %w", name, err)
		}
		s.Callers[name] = cs
	}
	for id, ts := range u.Val() {
		if sec, err := strconv.ParseInt(ts, 10, 64); err == nil {
			s.LastUsed[id] = time.Unix(sec, 0)
		}
	}
	return s, nil
}

func (r *Redis) Version(ctx context.Context) (int64, error) {
	v, err := r.c.Get(ctx, r.version).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return v, err
}

// Update takes a short lock (SET NX PX) so two admins on two replicas cannot both add a
// third key; the lock expires by itself if a replica dies holding it.
func (r *Redis) Update(ctx context.Context, fn func(*State) error) error {
	var tok [8]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	deadline := time.Now().Add(3 * time.Second)
	for {
		ok, err := r.c.SetNX(ctx, r.lock, token, 5*time.Second).Result()
		if err != nil {
			return fmt.Errorf("lock keys: %w", err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("lock keys: another change is in progress; try again")
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer r.unlock(token)
	before, err := r.Load(ctx)
	if err != nil {
		return err
	}
	after := cloneState(before)
	if err := fn(&after); err != nil {
		return err
	}
	pipe := r.c.TxPipeline()
	for id := range before.Keys {
		if _, ok := after.Keys[id]; !ok {
			pipe.HDel(ctx, r.keys, id)
			pipe.HDel(ctx, r.lastUsed, id)
		}
	}
	for id, k := range after.Keys {
		doc, _ := json.Marshal(k)
		pipe.HSet(ctx, r.keys, id, doc)
	}
	for name, cs := range after.Callers {
		doc, _ := json.Marshal(cs)
		pipe.HSet(ctx, r.callers, name, doc)
	}
	for name := range before.Callers {
		if _, ok := after.Callers[name]; !ok {
			pipe.HDel(ctx, r.callers, name)
		}
	}
	for id, ov := range after.Overlays {
		doc, _ := json.Marshal(ov)
		pipe.HSet(ctx, r.overlays, id, doc)
	}
	for id := range before.Overlays {
		if _, ok := after.Overlays[id]; !ok {
			pipe.HDel(ctx, r.overlays, id)
		}
	}
	pipe.Incr(ctx, r.version)
	pipe.Publish(ctx, r.chn, "changed")
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store keys: %w", err)
	}
	return nil
}

// unlockScript deletes the lock only if it is still ours.
var unlockScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

func (r *Redis) unlock(token string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = unlockScript.Run(ctx, r.c, []string{r.lock}, token).Err()
}

func (r *Redis) Touch(ctx context.Context, id string, t time.Time) error {
	return r.c.HSet(ctx, r.lastUsed, id, t.Unix()).Err()
}

// Changes subscribes to the channel; a missed message is covered by the Manager's
// version poll.
func (r *Redis) Changes(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	sub := r.c.Subscribe(ctx, r.chn)
	go func() {
		defer sub.Close()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}
