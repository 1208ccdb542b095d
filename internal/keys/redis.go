package keys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/pubsub"
)

// Redis is a Store shared by replicas. Keys live in hashes of JSON documents; a version
// counter and a pub/sub channel tell replicas to reload. These keys carry no TTL: they
// are the configuration itself (run Redis with persistence if dynamic keys must survive
// a Redis restart).
type Redis struct {
	c                                               redis.UniversalClient
	keys, callers, overlays, version, lastUsed, chn string
}

var _ Store = (*Redis)(nil)

// NewRedis uses client with keys under prefix (all in one hash tag, one Cluster slot).
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	p := prefix + ":{keys}:"
	return &Redis{c: client, keys: p + "keys", callers: p + "callers", overlays: p + "overlays", version: p + "version", lastUsed: p + "lastused", chn: prefix + ":keys:changed"}
}

func (r *Redis) Load(ctx context.Context) (State, error) { return r.load(ctx, r.c) }

func (r *Redis) load(ctx context.Context, conn redis.Cmdable) (State, error) {
	pipe := conn.Pipeline()
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

// Update is optimistic: it reads the state while WATCHing the version key, applies fn,
// and writes the result in one MULTI that also bumps the version. If any replica changed
// the state meanwhile, the version moved, the MULTI is refused and the whole
// read-decide-write runs again on the new state, so two admins on two replicas can never
// both add a third key (fn must only change the state it is given).
func (r *Redis) Update(ctx context.Context, fn func(*State) error) error {
	for range updateAttempts {
		var refused error
		err := r.c.Watch(ctx, func(tx *redis.Tx) error {
			before, err := r.load(ctx, tx)
			if err != nil {
				return err
			}
			after := cloneState(before)
			if refused = fn(&after); refused != nil {
				return refused
			}
			_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				r.write(ctx, pipe, before, after)
				return nil
			})
			return err
		}, r.version)
		switch {
		case errors.Is(err, redis.TxFailedErr):
			continue // another change won the race: decide again on what it left
		case refused != nil:
			return refused
		case err != nil:
			return fmt.Errorf("store keys: %w", err)
		}
		return nil
	}
	return errors.New("store keys: other changes kept winning; try again")
}

// updateAttempts bounds the retries of Update under contention (admin changes are rare).
const updateAttempts = 20

// write queues the difference between before and after, the version bump and the
// notification.
func (r *Redis) write(ctx context.Context, pipe redis.Pipeliner, before, after State) {
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
}

func (r *Redis) Touch(ctx context.Context, id string, t time.Time) error {
	return r.c.HSet(ctx, r.lastUsed, id, t.Unix()).Err()
}

// Changes subscribes to the channel; a missed message is covered by the Manager's
// version poll.
func (r *Redis) Changes(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	go pubsub.Follow(ctx, r.c, r.chn, func(string) {
		select {
		case out <- struct{}{}:
		default: // one waiting is enough: the Manager reloads everything
		}
	})
	return out
}
