package budget

import (
	"context"
	"errors"
	"sync"
	"time"
)

// FailoverOptions tune Failover.
type FailoverOptions struct {
	Replicas   int           // gateways sharing the budget; each may spend 1/Replicas alone
	FailClosed bool          // refuse (ErrUnavailable) instead of spending a local share
	Every      time.Duration // how often the background loop syncs or probes (default 250ms)
	Timeout    time.Duration // per background Redis call (default 1s)
	Now        func() time.Time
	OnDegraded func(budget string, degraded bool) // for the gateway_store_degraded gauge
	OnError    func(op string)                    // for gateway_store_errors_total
}

// Failover is the Store replicas use: Redis while it answers, and an exact local share
// when it does not.
//
// Exactness through an outage: each replica keeps a journal of what it admitted within
// the last Hold+Window and, every Every, the schedule of when the points counted in Redis
// are released. When Redis stops answering, a replica bounds what it cannot see — the
// points counted at its last sync, until their release, plus whatever others could have
// admitted after that sync, until Hold+Window after the failure — and spends only its
// 1/Replicas of what is left. When Redis answers again (maybe empty, after a restart),
// it writes its journal back before admitting more; a freshly created budget refuses
// asks for a short grace period so that every replica can do so.
type Failover struct {
	redis *Redis
	o     FailoverOptions
	mu    sync.Mutex
	st    map[string]*foState
}

var _ Store = (*Failover)(nil)

type foState struct {
	spec     *Spec
	epoch    string
	degraded bool
	failedAt time.Time
	synced   bool
	syncAt   time.Time
	syncUsed int64
	sched    []Release
	journal  map[string]*jentry
	phantoms []Ticket // asks whose answer was lost: maybe admitted in Redis, never used
	pruneAt  int      // journal size that triggers the next prune
}

// jentry is one admission made by this replica.
type jentry struct {
	t       Ticket
	release time.Time
	local   bool // admitted during an outage: not in Redis until restored
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
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OnDegraded == nil {
		o.OnDegraded = func(string, bool) {}
	}
	if o.OnError == nil {
		o.OnError = func(string) {}
	}
	return &Failover{redis: r, o: o, st: map[string]*foState{}}
}

func (f *Failover) state(spec *Spec) *foState {
	s := f.st[spec.Name]
	if s == nil {
		s = &foState{spec: spec, journal: map[string]*jentry{}}
		f.st[spec.Name] = s
	}
	s.spec = spec // the latest spec after a reload
	return s
}

// Take implements Store.
func (f *Failover) Take(ctx context.Context, spec *Spec, ask Ask) (Decision, error) {
	f.mu.Lock()
	s := f.state(spec)
	degraded := s.degraded
	f.mu.Unlock()
	if degraded {
		return f.takeLocal(spec, ask)
	}
	d, err := f.redis.Take(ctx, spec, ask)
	if err != nil {
		f.mu.Lock()
		s.phantoms = append(s.phantoms, d.Ticket)
		f.mu.Unlock()
		if ctx.Err() != nil {
			return Decision{}, err // the caller gave up; Redis may be fine
		}
		f.o.OnError("take")
		f.markFailed(spec)
		return f.takeLocal(spec, ask)
	}
	f.mu.Lock()
	lost := s.epoch != "" && d.Epoch != s.epoch
	s.epoch = d.Epoch
	if d.Allowed {
		f.journal(s, d.Ticket, false)
	}
	f.mu.Unlock()
	if lost {
		// Redis lost its data since we last saw it: write back before anyone spends more.
		if err := f.restore(ctx, s); err != nil {
			f.o.OnError("restore")
			f.markFailed(spec)
		}
	}
	return d, nil
}

func (f *Failover) journal(s *foState, t Ticket, local bool) {
	now := f.o.Now()
	s.journal[t.ID] = &jentry{t: t, release: now.Add(s.spec.Hold + s.spec.Window), local: local}
	// Prune when the journal has doubled since the last prune: amortised O(1) per
	// admission however large the budget (a fixed interval would rescan it all).
	if len(s.journal) >= s.pruneAt {
		for id, e := range s.journal {
			if !e.release.After(now) {
				delete(s.journal, id)
			}
		}
		s.pruneAt = max(256, 2*len(s.journal))
	}
}

func (f *Failover) markFailed(spec *Spec) {
	f.mu.Lock()
	s := f.state(spec)
	was := s.degraded
	if !was {
		s.degraded, s.failedAt = true, f.o.Now()
	}
	f.mu.Unlock()
	if !was {
		f.o.OnDegraded(spec.Name, true)
	}
}

// takeLocal decides alone, on this replica's share of what the outage leaves.
func (f *Failover) takeLocal(spec *Spec, ask Ask) (Decision, error) {
	if f.o.FailClosed {
		return Decision{}, ErrUnavailable
	}
	now := f.o.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.state(spec)
	pressure := s.pressure(now)
	share := (spec.Capacity - pressure) / int64(f.o.Replicas)
	if ask.Priority != PriorityCritical {
		share -= (spec.Reserve + int64(f.o.Replicas) - 1) / int64(f.o.Replicas)
	}
	var local, mine int64
	for _, e := range s.journal {
		if e.local && e.release.After(now) {
			local += e.t.Cost
			if e.t.Caller == ask.Caller {
				mine += e.t.Cost
			}
		}
	}
	d := Decision{Cost: ask.Cost, Used: pressure + local, Capacity: spec.Capacity}
	if ask.CallerCap > 0 && mine+ask.Cost > ask.CallerCap {
		d.Reason, d.RetryAfter = ReasonCallerCap, f.o.Every
		return d, nil
	}
	if local+ask.Cost > share {
		// Wake soon: the share grows as old points are released, and Redis may be back.
		d.Reason, d.RetryAfter = ReasonExhausted, f.o.Every
		return d, nil
	}
	t := Ticket{ID: newID(), Caller: ask.Caller, Cost: ask.Cost}
	f.journal(s, t, true)
	d.Allowed, d.Ticket, d.Used = true, t, d.Used+ask.Cost
	return d, nil
}

// pressure bounds the points counted in Redis at now that this replica cannot see.
func (s *foState) pressure(now time.Time) int64 {
	c := s.spec.Capacity
	blind := now.Before(s.failedAt.Add(s.spec.Hold + s.spec.Window))
	if !s.synced {
		if blind {
			return c // never saw the budget: assume it full until anything could be released
		}
		return 0
	}
	var known, refill int64
	for _, r := range s.sched {
		at := s.syncAt.Add(r.After)
		if at.After(now) {
			known += r.Points
		}
		if !at.After(s.failedAt) {
			refill += r.Points // released before the failure: others may have spent it again
		}
	}
	if !blind {
		return min(c, known)
	}
	return min(c, known+(c-s.syncUsed)+refill)
}

// Settle implements Store.
func (f *Failover) Settle(ctx context.Context, spec *Spec, t Ticket) error {
	f.mu.Lock()
	s := f.state(spec)
	if e := s.journal[t.ID]; e != nil {
		if r := f.o.Now().Add(spec.Window); r.Before(e.release) {
			e.release = r
		}
	}
	degraded := s.degraded
	f.mu.Unlock()
	if degraded {
		return nil // the journal carries it; it is written back with its release time
	}
	if err := f.redis.Settle(ctx, spec, t); err != nil {
		f.o.OnError("settle")
		return err
	}
	return nil
}

// Leave implements Store.
func (f *Failover) Leave(ctx context.Context, spec *Spec, handle string) error {
	f.mu.Lock()
	degraded := f.state(spec).degraded
	f.mu.Unlock()
	if degraded {
		return nil
	}
	return f.redis.Leave(ctx, spec, handle)
}

// Lock implements Store.
func (f *Failover) Lock(ctx context.Context, spec *Spec, d time.Duration) error {
	if err := f.redis.Lock(ctx, spec, d); err != nil {
		f.o.OnError("lock")
		return err
	}
	return nil
}

// Absorb implements Store. The points are journalled like an admission, so they are
// written back if Redis loses them and counted in the local share during an outage.
func (f *Failover) Absorb(ctx context.Context, spec *Spec, points int64, d time.Duration) error {
	t := Ticket{ID: newID(), Caller: OutsideCaller, Cost: points}
	f.mu.Lock()
	s := f.state(spec)
	degraded := s.degraded
	s.journal[t.ID] = &jentry{t: t, release: f.o.Now().Add(d), local: degraded}
	f.mu.Unlock()
	if degraded {
		return nil
	}
	_, err := f.redis.Restore(ctx, spec, []Restored{{Ticket: t, Left: d}}, nil)
	if err != nil {
		f.o.OnError("absorb")
	}
	return err
}

// Usage implements Store; a successful answer is also a sync.
func (f *Failover) Usage(ctx context.Context, spec *Spec) (Usage, error) {
	f.mu.Lock()
	s := f.state(spec)
	degraded := s.degraded
	f.mu.Unlock()
	if degraded {
		return Usage{}, errors.Join(ErrUnavailable, errors.New("degraded: running on the local share"))
	}
	u, err := f.redis.Usage(ctx, spec)
	if err != nil {
		f.o.OnError("usage")
		return u, err
	}
	f.synced(ctx, s, u)
	return u, nil
}

func (f *Failover) synced(ctx context.Context, s *foState, u Usage) {
	f.mu.Lock()
	lost := s.epoch != "" && u.Epoch != "" && u.Epoch != s.epoch
	s.synced, s.syncAt, s.syncUsed, s.sched = true, f.o.Now(), u.Used, u.Schedule
	if u.Epoch != "" {
		s.epoch = u.Epoch
	}
	f.mu.Unlock()
	if lost || u.Epoch == "" && len(s.journal) > 0 {
		if err := f.restore(ctx, s); err != nil {
			f.o.OnError("restore")
		}
	}
}

// restore writes back the journal and leaves degraded mode.
func (f *Failover) restore(ctx context.Context, s *foState) error {
	now := f.o.Now()
	f.mu.Lock()
	entries := make([]Restored, 0, len(s.journal))
	for id, e := range s.journal {
		if left := e.release.Sub(now); left > 0 {
			entries = append(entries, Restored{Ticket: e.t, Left: left})
		} else {
			delete(s.journal, id)
		}
	}
	spec := s.spec
	phantoms := s.phantoms
	f.mu.Unlock()
	epoch, err := f.redis.Restore(ctx, spec, entries, phantoms)
	if err != nil {
		return err
	}
	f.mu.Lock()
	s.phantoms = s.phantoms[len(phantoms):]
	was := s.degraded
	s.epoch, s.degraded = epoch, false
	for _, e := range s.journal {
		e.local = false // in Redis now
	}
	f.mu.Unlock()
	if was {
		f.o.OnDegraded(spec.Name, false)
	}
	return nil
}

// Run syncs each budget's schedule while Redis answers and probes it (writing the journal
// back) while it does not, until ctx ends.
func (f *Failover) Run(ctx context.Context) {
	t := time.NewTicker(f.o.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f.mu.Lock()
		states := make([]*foState, 0, len(f.st))
		for _, s := range f.st {
			states = append(states, s)
		}
		f.mu.Unlock()
		for _, s := range states {
			f.tick(ctx, s)
		}
	}
}

func (f *Failover) tick(ctx context.Context, s *foState) {
	cctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
	defer cancel()
	f.mu.Lock()
	degraded, spec, phantoms := s.degraded, s.spec, len(s.phantoms) > 0
	f.mu.Unlock()
	if degraded || phantoms {
		if err := f.restore(cctx, s); err != nil {
			f.o.OnError("probe")
		}
		return
	}
	if _, err := f.Usage(cctx, spec); err != nil && ctx.Err() == nil {
		f.markFailed(spec)
	}
}
