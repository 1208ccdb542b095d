package budget

import (
	"context"
	"sync"
	"time"

	"github.com/budgetgw/gateway/internal/budget/internal/groupcommit"
)

// FailoverOptions tune Failover.
type FailoverOptions struct {
	// Replicas is how many gateways share the budget. With 1, an outage leaves this
	// replica the whole budget less what it knows is counted; with more, each cut-off
	// replica spends at most Capacity/Replicas, once the others leave it that share.
	Replicas   int
	FailClosed bool          // refuse (ErrUnavailable) instead of spending a local share
	Every      time.Duration // how often the background loop syncs, heartbeats or probes (default 250ms)
	// Timeout bounds one step of the background loop (default 1s): a sync or a write-back
	// and the lease closes after it, a probe, a lease ask. A step may take several calls;
	// each still ends when the client's own timeout says (the gateway sets it to
	// CallTimeout), so a probe never closes the breaker onto a Redis slower than requests
	// may wait for.
	Timeout time.Duration
	// CallTimeout bounds every Redis call made on a request's behalf (default Timeout):
	// a hung Redis costs a request at most this, once, before the breaker opens.
	CallTimeout time.Duration
	// Stale is how long after its last answer from Redis a replica still counts as
	// connected for the others (default 8×Every, at least 1s). Shorter: a cut-off
	// replica gets its share sooner; too short: a busy replica looks cut off and the
	// others set its share aside for nothing.
	Stale time.Duration
	// Lag reports how long this process's woken goroutines wait for a CPU (nil: never
	// long). While it exceeds a quarter of CallTimeout, a Redis call that fails does not
	// open the breaker: the process is too busy to read answers in time, and Redis is
	// not shown to be the cause. A hung Redis leaves the process idle, so it still trips.
	Lag func() time.Duration
	// LeaseLife is how long a lease of points may be spent alone (lease.go; 0: the
	// smaller of 1s and Window/16; negative: no leases, every ask goes to Redis).
	LeaseLife  time.Duration
	Now        func() time.Time
	OnDegraded func(budget string, degraded bool) // for the gateway_store_degraded gauge
	OnError    func(op string)                    // for gateway_store_errors_total
}

// Failover is the Store replicas use: Redis while it answers, and an exact local share
// when it does not. See doc.go for the design and why it holds.
type Failover struct {
	redis   *Redis
	o       FailoverOptions
	id      string    // this replica's heartbeat id: random per process
	started time.Time // nothing this process never saw can be counted past started+Hold+Window

	mu         sync.Mutex
	st         map[string]*foState
	down       bool      // the breaker: open while Redis does not answer; one for the process
	lastAnswer time.Time // when Redis last answered any call
	restoring  bool      // a probe is writing journals back: local admissions wait for it
	closed     bool      // said goodbye: never spend alone again

	settles *groupcommit.Queue[*Spec, Ticket] // settles on their way to Redis, per budget (settle.go)
}

var _ Store = (*Failover)(nil)

// foState is what this replica knows of one budget.
type foState struct {
	spec     *Spec
	epoch    string
	degraded bool // reported through OnDegraded

	// The last sync: Redis's schedule of releases and used, read between syncSent and syncAck.
	synced            bool
	syncSent, syncAck time.Time
	syncUsed          int64
	sched             []Release
	beats             map[string]int64 // heartbeats seen at the last sync, written back after data loss

	// Heartbeat bookkeeping (see heartbeat and doc.go).
	rNow      int64     // Redis µs in the latest answer
	rSent     time.Time // local send time of the call that answered rNow
	rAck      time.Time // local receive time of that answer
	beatKnown bool      // a heartbeat of ours is known to be written
	beatFloor time.Time // local lower bound of the Redis instant our last confirmed heartbeat was based on

	j        *journal // what this replica admitted that is still counted (journal.go)
	phantoms []Ticket // asks whose answer was lost: maybe admitted in Redis, never used

	// Leases (lease.go).
	used            int64         // points counted in Redis at the latest answer: what leased decisions report
	lease           *lease        // admissions are taken from it; nil: none open
	closing         []*lease      // ended, not yet closed in Redis
	leaseAsk        chan struct{} // non-nil while a lease ask is in flight; closed when it is answered
	noLeaseUntil    time.Time     // Redis refused a lease: none asked for before then
	lockHeard       time.Time     // the latest lockout made or heard of here: a lease asked for before it may predate the lock
	demStart        time.Time
	demCur, demPrev int64 // points admitted in the current life and the one before
}

// NewFailover wraps r.
func NewFailover(r *Redis, o FailoverOptions) *Failover {
	if o.Replicas < 1 {
		o.Replicas = 1
	}
	if o.Every <= 0 {
		o.Every = 250 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = o.Timeout
	}
	if o.Stale <= 0 {
		o.Stale = max(8*o.Every, time.Second)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OnDegraded == nil {
		o.OnDegraded = func(string, bool) {}
	}
	if o.OnError == nil {
		o.OnError = func(string) {}
	}
	f := &Failover{redis: r, o: o, id: newID(), started: o.Now(), st: map[string]*foState{}}
	f.settles = groupcommit.New(maxSettles, f.sendSettles)
	return f
}

// Watch makes the replica heartbeat for spec's budget from now on, before any request
// for it: a replica the others have never heard of gets no share if it is cut off.
func (f *Failover) Watch(spec *Spec) {
	f.mu.Lock()
	f.state(spec)
	f.mu.Unlock()
}

func (f *Failover) state(spec *Spec) *foState {
	s := f.st[spec.Name]
	if s == nil {
		s = &foState{spec: spec, j: newJournal()}
		f.st[spec.Name] = s
	}
	s.spec = spec // the latest spec after a reload
	return s
}

// Take implements Store.
func (f *Failover) Take(ctx context.Context, spec *Spec, ask Ask) (Decision, error) {
	f.mu.Lock()
	s := f.state(spec)
	d, ok := f.takeLeased(s, ask)
	if !ok && ask.CallerCap == 0 && !f.down {
		wait := s.leaseAsk
		if wait == nil {
			if n, life := f.leaseFor(s, ask, f.o.Now()); n > 0 {
				wait = s.leaseAsk
				go f.renew(s, spec, n, life)
			}
		}
		if wait != nil {
			// A lease is on its way: wait for it (one round trip at most) rather than send
			// Redis a call of our own beside it; a burst that finds the lease spent would
			// otherwise all go to Redis at once.
			f.mu.Unlock()
			t := time.NewTimer(f.o.CallTimeout)
			select {
			case <-wait:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
			f.mu.Lock()
			d, ok = f.takeLeased(s, ask)
		}
	}
	if ok {
		f.mu.Unlock()
		return d, nil
	}
	down := f.down
	f.mu.Unlock()
	if down {
		return f.takeLocal(spec, ask)
	}
	// Every ask carries the lease life: a refusal while leases hold points says to ask
	// again within it.
	ask.leaseLife = max(f.leaseLife(spec), 0)
	// The ask waits at most CallTimeout for its batch's answer, whether its batch leaves
	// at once or after the one in flight.
	cctx, cancel := context.WithTimeout(ctx, f.o.CallTimeout)
	res := f.redis.submit(cctx, spec, ask, f)
	cancel()
	d, err, sent := res.d, res.err, res.sent
	if err != nil && sent.IsZero() {
		// It never left the line: nothing was sent, so nothing to cancel, and its wait
		// says nothing about Redis (the batch ahead of it answers for that).
		if ctx.Err() != nil {
			return Decision{}, err
		}
		if f.isDown() {
			return f.takeLocal(spec, ask)
		}
		return askSoon(spec, ask), nil
	}
	if err != nil {
		f.mu.Lock()
		s.phantoms = append(s.phantoms, d.Ticket)
		f.mu.Unlock()
		if ctx.Err() != nil {
			return Decision{}, err // the caller gave up; Redis may be fine
		}
		if !f.failed(ctx, "take", sent) {
			// Redis answers others: only this call was slow. Nothing may be decided alone
			// while the others decide in Redis; the Gate asks again within max_wait.
			return askSoon(spec, ask), nil
		}
		return f.takeLocal(spec, ask)
	}
	ack := f.o.Now()
	f.mu.Lock()
	lost := s.epoch != "" && d.Epoch != s.epoch
	s.epoch, s.used = d.Epoch, d.Used
	switch {
	case d.Allowed:
		s.j.add(d.Ticket, ack, ack.Add(spec.Hold+spec.Window), false)
		s.noteDemand(ack, ask.Cost, f.leaseLife(spec))
	default:
		f.endLease(s, ack) // the budget is short for others: give back what the lease holds idle
	}
	if lost {
		s.j.markAllDirty() // everything this replica admitted goes back, not only what it did alone
	}
	f.mu.Unlock()
	if lost {
		// Redis lost its data since we last saw it: write back before anyone spends more
		// (the script's grace period holds everyone else meanwhile).
		parent := context.WithoutCancel(ctx) // the write-back must finish even if the caller leaves
		rctx, cancel, sent := f.call(parent)
		defer cancel()
		if err := f.restore(rctx, s); err != nil {
			f.failed(parent, "restore", sent)
		}
	}
	return d, nil
}

// Settle implements Store.
func (f *Failover) Settle(ctx context.Context, spec *Spec, t Ticket) error {
	now := f.o.Now()
	f.mu.Lock()
	s := f.state(spec)
	if s.settleLeased(t.ID, now) {
		f.mu.Unlock()
		return nil // Redis counts the lease; its close writes the answer's release
	}
	e := s.j.moveEarlier(t.ID, now.Add(spec.Window))
	down := f.down
	if down {
		s.j.markDirty(e) // the journal carries it; it is written back with its release time
	}
	f.mu.Unlock()
	if down {
		return nil
	}
	// The caller needs no answer: the settle goes with the others of its moment (a late
	// settle only keeps the points counted a little longer, which is safe).
	f.settles.Add(spec.Name, spec, t)
	return nil
}

// beatFor implements takeHook: one heartbeat per batch of asks.
func (f *Failover) beatFor(spec *Spec) (heartbeat, time.Time, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	hb, based := f.heartbeat(f.state(spec))
	return hb, based, f.o.Now()
}

// open implements takeHook.
func (f *Failover) open() bool { return f.isDown() }

func (f *Failover) isDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

// answeredFor implements takeHook.
func (f *Failover) answeredFor(spec *Spec, hb heartbeat, based time.Time, rnow int64, sent time.Time) {
	ack := f.o.Now()
	f.mu.Lock()
	f.answered(f.state(spec), hb, based, rnow, sent, ack)
	f.mu.Unlock()
}

// Leave implements Store.
func (f *Failover) Leave(ctx context.Context, spec *Spec, handle string) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return nil // a stale place ages out
	}
	cctx, cancel, sent := f.call(ctx)
	defer cancel()
	if err := f.redis.Leave(cctx, spec, handle); err != nil {
		f.failed(ctx, "leave", sent)
		return err
	}
	return nil
}

// Lock implements Store. Once the lock is in Redis it is announced, so that the other
// replicas end their leases at once (followLocks) rather than at their next sync.
func (f *Failover) Lock(ctx context.Context, spec *Spec, d time.Duration) error {
	f.heardLock(spec.Name)
	cctx, cancel, sent := f.call(ctx)
	defer cancel()
	if err := f.redis.Lock(cctx, spec, d); err != nil {
		f.failed(ctx, "lock", sent)
		return err
	}
	_ = f.redis.announceLock(cctx, spec.Name) // best effort: without it the others learn at their next sync
	return nil
}

// Absorb implements Store. The points are journalled like an admission, so they are
// written back if Redis loses them and counted in the local share during an outage.
func (f *Failover) Absorb(ctx context.Context, spec *Spec, points int64, d time.Duration) error {
	t := Ticket{ID: newID(), Caller: OutsideCaller, Cost: points}
	now := f.o.Now()
	f.mu.Lock()
	s := f.state(spec)
	down := f.down
	s.j.add(t, now, now.Add(d), down)
	f.mu.Unlock()
	if down {
		return nil
	}
	cctx, cancel, sent := f.call(ctx)
	defer cancel()
	if _, err := f.redis.Restore(cctx, spec, []Restored{{Ticket: t, Left: d}}, nil); err != nil {
		f.mu.Lock()
		s.j.markDirty(s.j.byID[t.ID])
		f.mu.Unlock()
		f.failed(ctx, "absorb", sent)
		return err
	}
	return nil
}

// Usage implements Store; a successful answer is also a sync. While Redis does not
// answer it reports this replica's own estimate, so the budget stays visible.
func (f *Failover) Usage(ctx context.Context, spec *Spec) (Usage, error) {
	f.mu.Lock()
	s := f.state(spec)
	down := f.down
	f.mu.Unlock()
	if down {
		return f.localUsage(s), nil
	}
	cctx, cancel, sent := f.call(ctx)
	defer cancel()
	u, err := f.sync(cctx, s)
	if err != nil {
		f.failed(ctx, "usage", sent)
		return f.localUsage(s), nil
	}
	return u, nil
}

// retrySoon is when a request whose Redis call was slow (Redis answering others) asks again.
const retrySoon = 10 * time.Millisecond

// askSoon is a refusal for a moment: Redis did not answer this ask in time but is not
// shown to be down, so nothing may be decided alone; the Gate asks again within max_wait.
func askSoon(spec *Spec, ask Ask) Decision {
	return Decision{Cost: ask.Cost, Capacity: spec.Capacity, Reason: ReasonExhausted, RetryAfter: retrySoon, Local: true}
}
