package budget

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The scripts share a prelude; each is one atomic round trip (EVALSHA, EVAL on NOSCRIPT).
var (
	//go:embed lua/common.lua
	luaCommon string
	//go:embed lua/take.lua
	luaTake string
	//go:embed lua/settle.lua
	luaSettle string
	//go:embed lua/lock.lua
	luaLock string
	//go:embed lua/usage.lua
	luaUsage string
	//go:embed lua/restore.lua
	luaRestore string
	//go:embed lua/forget.lua
	luaForget string

	takeScript    = redis.NewScript(luaCommon + luaTake)
	settleScript  = redis.NewScript(luaCommon + luaSettle)
	lockScript    = redis.NewScript(luaCommon + luaLock)
	usageScript   = redis.NewScript(luaCommon + luaUsage)
	restoreScript = redis.NewScript(luaCommon + luaRestore)
	forgetScript  = redis.NewScript(luaCommon + luaForget)
)

// RedisOptions tune a Redis store.
type RedisOptions struct {
	Prefix string // key prefix; keys are <prefix>:{<budget>}:<part>
	// RestoreGrace is how long a budget whose state was just created refuses asks, so that
	// replicas can write back what they admitted before Redis lost its data. Zero: 1s.
	// Negative: none (tests of other behaviour).
	RestoreGrace time.Duration
	// Now replaces Redis TIME; only for deterministic tests.
	Now func() time.Time
}

// Redis is a Store shared by every replica through one Redis (or Sentinel/Cluster).
type Redis struct {
	c     redis.UniversalClient
	o     RedisOptions
	keys  sync.Map // budget name -> []string
	grace string
	// The lines of asks waiting for their batch, per budget name (batch.go): plain
	// Take calls, and Failover's (whose batches carry its heartbeat).
	plainQ, hookedQ sync.Map
}

var _ Store = (*Redis)(nil)

// NewRedis returns a store on client. The client's own timeouts bound every call.
func NewRedis(client redis.UniversalClient, o RedisOptions) *Redis {
	if o.Prefix == "" {
		o.Prefix = "gw"
	}
	switch {
	case o.RestoreGrace == 0:
		o.RestoreGrace = time.Second
	case o.RestoreGrace < 0:
		o.RestoreGrace = 0
	}
	return &Redis{c: client, o: o, grace: strconv.FormatInt(o.RestoreGrace.Microseconds(), 10)}
}

// keysOf returns the budget's six keys, all hash-tagged with its name (one Cluster slot).
func (r *Redis) keysOf(name string) []string {
	if k, ok := r.keys.Load(name); ok {
		return k.([]string)
	}
	p := r.o.Prefix + ":{" + name + "}:"
	k := []string{p + "log", p + "state", p + "wait", p + "callers", p + "slots", p + "beats"}
	r.keys.Store(name, k)
	return k
}

func (r *Redis) now() string {
	if r.o.Now == nil {
		return ""
	}
	return strconv.FormatInt(r.o.Now().UnixMicro(), 10)
}

func slotUS(spec *Spec) int64 { return max(spec.Window.Microseconds()/16, 1) }

// ttls: entries live at most hold+window; state (with the epoch) outlives idle periods.
func ttls(spec *Spec) (keyMS, stateMS int64) {
	keyMS = 2*(spec.Hold+spec.Window).Milliseconds() + 1000
	return keyMS, max(keyMS, (24 * time.Hour).Milliseconds())
}

func member(t Ticket) string { return t.ID + "|" + strconv.FormatInt(t.Cost, 10) + "|" + t.Caller }

// heartbeat is what Failover adds to its calls: who it is, until when (Redis µs) it
// declares itself connected, and what to set aside for replicas cut off from Redis.
// The zero value (a bare Redis store) does none of it.
type heartbeat struct {
	replica string
	until   int64 // Redis µs; 0: no heartbeat in this call
	share   int64 // points set aside per cut-off replica; 0: none
	gone    int64 // µs after a lapsed heartbeat that a cut-off replica is forgotten
}

// Take implements Store. Concurrent asks for one budget are decided together (batch.go).
func (r *Redis) Take(ctx context.Context, spec *Spec, ask Ask) (Decision, error) {
	res := r.submit(ctx, spec, ask, nil)
	if res.err != nil {
		return Decision{}, res.err
	}
	return res.d, nil
}

// takeWords is how many values the take script answers per ask, after {now, epoch}.
const takeWords = 5

// takeMany runs the take script for asks, decided in order; tickets are their ticket ids
// if admitted. It also returns Redis's clock (µs) when the script ran.
func (r *Redis) takeMany(ctx context.Context, spec *Spec, asks []Ask, tickets []Ticket, hb heartbeat) ([]Decision, int64, error) {
	keyMS, stateMS := ttls(spec)
	args := make([]any, 0, 15+10*len(asks))
	args = append(args, spec.Capacity, spec.Window.Microseconds(), spec.Hold.Microseconds(), spec.Reserve,
		r.now(), keyMS, stateMS, newID(), r.grace, slotUS(spec),
		hb.replica, hb.until, hb.share, hb.gone, len(asks))
	for i, ask := range asks {
		var handle, waiterID string
		var patience int64
		if w := ask.Waiter; w != nil {
			handle, waiterID, patience = w.Handle, w.ID, w.Patience.Microseconds()
		}
		args = append(args, ask.Cost, ask.Caller, ask.Priority.rank(), ask.CallerCap, tickets[i].ID, handle, waiterID, patience,
			ask.lease, ask.leaseLife.Microseconds())
	}
	res, err := takeScript.Run(ctx, r.c, r.keysOf(spec.Name), args...).Slice()
	if err != nil {
		return nil, 0, fmt.Errorf("take %s: %w", spec.Name, err)
	}
	if len(res) != 2+takeWords*len(asks) {
		return nil, 0, fmt.Errorf("take %s: script answered %d values, want %d", spec.Name, len(res), 2+takeWords*len(asks))
	}
	now, err := asInt(res[0])
	epoch, ok := res[1].(string)
	if err != nil || !ok {
		return nil, 0, fmt.Errorf("take %s: malformed script reply %v", spec.Name, res[:2])
	}
	out := make([]Decision, len(asks))
	for i, ask := range asks {
		v := res[2+takeWords*i : 2+takeWords*(i+1)]
		allowed, err1 := asInt(v[0])
		reason, ok1 := v[1].(string)
		used, err2 := asInt(v[2])
		retry, err3 := asInt(v[3])
		wh, ok2 := v[4].(string)
		if err1 != nil || err2 != nil || err3 != nil || !ok1 || !ok2 || (allowed != 0 && allowed != 1) {
			return nil, 0, fmt.Errorf("take %s: malformed script reply for ask %d: %v", spec.Name, i, v)
		}
		d := Decision{Allowed: allowed == 1, Reason: Reason(reason), Cost: ask.Cost, Used: used, Capacity: spec.Capacity, Epoch: epoch}
		if d.Reason == reasonLeased {
			d.Reason, d.leaseGranted = ReasonNone, true
		}
		if d.Allowed {
			d.Ticket = tickets[i]
		} else {
			d.RetryAfter = usDur(retry)
			if retry < 0 {
				d.RetryAfter = -1
			}
			d.Waiter = wh
		}
		out[i] = d
	}
	return out, now, nil
}

// settleTimeout bounds a settle that waits on Redis when its caller set no deadline
// (Gate.Settle sets none; see there).
const settleTimeout = 2 * time.Second

// Settle implements Store.
func (r *Redis) Settle(ctx context.Context, spec *Spec, t Ticket) error {
	if t.ID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	return r.settleMany(ctx, spec, []Ticket{t})
}

// settleMany settles tickets of one budget in one script call.
func (r *Redis) settleMany(ctx context.Context, spec *Spec, ts []Ticket) error {
	args := make([]any, 0, 3+len(ts))
	args = append(args, spec.Window.Microseconds(), r.now(), slotUS(spec))
	for _, t := range ts {
		args = append(args, member(t))
	}
	if err := settleScript.Run(ctx, r.c, r.keysOf(spec.Name), args...).Err(); err != nil {
		return fmt.Errorf("settle %s: %w", spec.Name, err)
	}
	return nil
}

// Leave implements Store.
func (r *Redis) Leave(ctx context.Context, spec *Spec, handle string) error {
	if handle == "" {
		return nil
	}
	if err := r.c.ZRem(ctx, r.keysOf(spec.Name)[2], handle).Err(); err != nil {
		return fmt.Errorf("leave %s: %w", spec.Name, err)
	}
	return nil
}

// Lock implements Store.
func (r *Redis) Lock(ctx context.Context, spec *Spec, d time.Duration) error {
	_, stateMS := ttls(spec)
	stateMS = max(stateMS, 2*d.Milliseconds())
	if err := lockScript.Run(ctx, r.c, r.keysOf(spec.Name), d.Microseconds(), r.now(), stateMS, newID()).Err(); err != nil {
		return fmt.Errorf("lock %s: %w", spec.Name, err)
	}
	return nil
}

// lockChannel is where replicas announce lockouts to each other (Failover.Lock).
func (r *Redis) lockChannel() string { return r.o.Prefix + ":lockout" }

// announceLock tells the other replicas that the budget name was locked out.
func (r *Redis) announceLock(ctx context.Context, name string) error {
	return r.c.Publish(ctx, r.lockChannel(), name).Err()
}

// Usage implements Store. Its Schedule says when counted points are released (upper bounds,
// to a sixteenth of the window); Failover uses it to stay exact through an outage.
func (r *Redis) Usage(ctx context.Context, spec *Spec) (Usage, error) {
	u, _, err := r.usage(ctx, spec, heartbeat{})
	return u.Usage, err
}

// Absorb implements Store: one entry, written like a restored one (no capacity check).
func (r *Redis) Absorb(ctx context.Context, spec *Spec, points int64, d time.Duration) error {
	_, err := r.Restore(ctx, spec, []Restored{{Ticket: Ticket{ID: newID(), Caller: OutsideCaller, Cost: points}, Left: d}}, nil)
	return err
}

// asInt reads an integer reply without trusting its type.
func asInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("not an integer: %T", v)
}
