package budget

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
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

	takeScript    = redis.NewScript(luaCommon + luaTake)
	settleScript  = redis.NewScript(luaCommon + luaSettle)
	lockScript    = redis.NewScript(luaCommon + luaLock)
	usageScript   = redis.NewScript(luaCommon + luaUsage)
	restoreScript = redis.NewScript(luaCommon + luaRestore)
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

// keysOf returns the budget's five keys, all hash-tagged with its name (one Cluster slot).
func (r *Redis) keysOf(name string) []string {
	if k, ok := r.keys.Load(name); ok {
		return k.([]string)
	}
	p := r.o.Prefix + ":{" + name + "}:"
	k := []string{p + "log", p + "state", p + "wait", p + "callers", p + "slots"}
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

// Take implements Store.
func (r *Redis) Take(ctx context.Context, spec *Spec, ask Ask) (Decision, error) {
	ticket := Ticket{ID: newID(), Caller: ask.Caller, Cost: ask.Cost}
	var handle, waiterID string
	var patience int64
	if w := ask.Waiter; w != nil {
		handle, waiterID, patience = w.Handle, w.ID, w.Patience.Microseconds()
	}
	keyMS, stateMS := ttls(spec)
	res, err := takeScript.Run(ctx, r.c, r.keysOf(spec.Name),
		spec.Capacity, spec.Window.Microseconds(), spec.Hold.Microseconds(), spec.Reserve,
		ask.Cost, ask.Caller, ask.Priority.rank(), ask.CallerCap, ticket.ID,
		handle, waiterID, patience, r.now(), keyMS, stateMS, newID(), r.grace, slotUS(spec),
	).Slice()
	if err != nil {
		// The ticket goes back with the error: if the script ran but its answer was lost,
		// Failover cancels the admission once Redis answers again.
		return Decision{Ticket: ticket}, fmt.Errorf("take %s: %w", spec.Name, err)
	}
	if len(res) != 6 {
		return Decision{}, fmt.Errorf("take %s: script answered %d values, want 6", spec.Name, len(res))
	}
	allowed, err1 := asInt(res[0])
	used, err2 := asInt(res[2])
	retry, err3 := asInt(res[3])
	reason, ok1 := res[1].(string)
	wh, ok2 := res[4].(string)
	epoch, ok3 := res[5].(string)
	if err1 != nil || err2 != nil || err3 != nil || !ok1 || !ok2 || !ok3 {
		return Decision{}, fmt.Errorf("take %s: malformed script reply %v", spec.Name, res)
	}
	d := Decision{Allowed: allowed == 1, Reason: Reason(reason), Cost: ask.Cost, Used: used, Capacity: spec.Capacity, Epoch: epoch}
	if d.Allowed {
		d.Ticket = ticket
	} else {
		d.RetryAfter = usDur(retry)
		if retry < 0 {
			d.RetryAfter = -1
		}
		d.Waiter = wh
	}
	return d, nil
}

// Settle implements Store.
func (r *Redis) Settle(ctx context.Context, spec *Spec, t Ticket) error {
	if t.ID == "" {
		return nil
	}
	err := settleScript.Run(ctx, r.c, r.keysOf(spec.Name), member(t), spec.Window.Microseconds(), r.now(), slotUS(spec)).Err()
	if err != nil {
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

// Usage implements Store. Its Schedule says when counted points are released (upper bounds,
// to a sixteenth of the window); Failover uses it to stay exact through an outage.
func (r *Redis) Usage(ctx context.Context, spec *Spec) (Usage, error) {
	slot := slotUS(spec)
	res, err := usageScript.Run(ctx, r.c, r.keysOf(spec.Name), r.now(), slot).Slice()
	if err != nil {
		return Usage{}, fmt.Errorf("usage %s: %w", spec.Name, err)
	}
	if len(res) != 7 {
		return Usage{}, fmt.Errorf("usage %s: malformed script reply", spec.Name)
	}
	used, e1 := asInt(res[0])
	lock, e2 := asInt(res[1])
	waiters, e3 := asInt(res[2])
	epoch, ok := res[3].(string)
	now, e4 := asInt(res[4])
	sched, ok2 := res[5].([]any)
	callers, ok3 := res[6].([]any)
	if e1 != nil || e2 != nil || e3 != nil || e4 != nil || !ok || !ok2 || !ok3 {
		return Usage{}, fmt.Errorf("usage %s: malformed script reply %v", spec.Name, res[:5])
	}
	u := Usage{Used: used, Capacity: spec.Capacity, Waiters: int(waiters), LockedFor: usDur(lock), Epoch: epoch, ByCaller: map[string]int64{}}
	for i := 0; i+1 < len(sched); i += 2 {
		s, err1 := asInt(sched[i])
		p, err2 := asInt(sched[i+1])
		if err1 != nil || err2 != nil || p <= 0 {
			continue
		}
		u.Schedule = append(u.Schedule, Release{After: usDur(max((s+1)*slot-now, 0)), Points: p})
	}
	for i := 0; i+1 < len(callers); i += 2 {
		name, okName := callers[i].(string)
		p, err := asInt(callers[i+1])
		if okName && err == nil && p > 0 {
			u.ByCaller[name] = p
		}
	}
	sort.Slice(u.Schedule, func(i, j int) bool { return u.Schedule[i].After < u.Schedule[j].After })
	return u, nil
}

// Restored is one admission to write back, with the time left until its release.
type Restored struct {
	Ticket Ticket
	Left   time.Duration
}

// Restore writes back admissions Redis does not know (it lost them, or they were made
// during an outage), and cancels admissions whose answer never arrived (they were not
// forwarded). Entries already present are left alone. It returns the epoch.
func (r *Redis) Restore(ctx context.Context, spec *Spec, entries []Restored, cancel []Ticket) (string, error) {
	keyMS, stateMS := ttls(spec)
	args := make([]any, 0, 6+2*len(entries)+len(cancel))
	args = append(args, r.now(), keyMS, stateMS, newID(), slotUS(spec), len(entries))
	for _, e := range entries {
		args = append(args, member(e.Ticket), e.Left.Microseconds())
	}
	for _, t := range cancel {
		args = append(args, member(t))
	}
	res, err := restoreScript.Run(ctx, r.c, r.keysOf(spec.Name), args...).Slice()
	if err != nil {
		return "", fmt.Errorf("restore %s: %w", spec.Name, err)
	}
	if len(res) != 3 {
		return "", fmt.Errorf("restore %s: malformed script reply", spec.Name)
	}
	epoch, ok := res[0].(string)
	if !ok {
		return "", fmt.Errorf("restore %s: malformed epoch", spec.Name)
	}
	return epoch, nil
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
