package budget

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Gate turns a Store into what a request needs: wait for points up to a bound (never past
// the caller's own deadline), keep a place in the waiting line while doing so, and answer
// refusals without a store round trip while a budget is known to be locked out or short.
type Gate struct {
	store Store
	now   func() time.Time

	mu    sync.Mutex
	hints map[string]hint

	rec reconciler // the upstream's word on what remains: reconcile.go
}

// hint is what the last refusal taught about a budget: nothing changes before until.
type hint struct {
	lockedUntil time.Time // every ask is refused until then
	shortUntil  time.Time // asks costing at least shortCost cannot fit before then
	shortCost   int64
}

// NewGate returns a Gate over store, reading time from now (time.Now when nil).
func NewGate(store Store, now func() time.Time) *Gate {
	if now == nil {
		now = time.Now
	}
	return &Gate{store: store, now: now, hints: make(map[string]hint)}
}

// Store returns the store behind the gate.
func (g *Gate) Store() Store { return g.store }

// Acquire asks for points, waiting up to maxWait while the budget is short. It returns an
// allowed Decision (then the caller must Settle its ticket when the upstream answers) or a
// refused one. A store failure is returned as an error wrapping ErrUnavailable, with a
// Decision whose Reason is ReasonStoreUnavailable.
func (g *Gate) Acquire(ctx context.Context, spec *Spec, ask Ask, maxWait time.Duration) (Decision, error) {
	return g.AcquireOrStop(ctx, nil, spec, ask, maxWait)
}

// AcquireOrStop is Acquire that also gives up, with context.Canceled, once stop is closed:
// before asking, and while waiting between asks. A draining process releases its waiters
// this way without deriving a context of its own for every request (which would cost each
// request allocations and two turns of a lock every request shares). An ask already sent
// is answered first; the store bounds that wait.
func (g *Gate) AcquireOrStop(ctx context.Context, stop <-chan struct{}, spec *Spec, ask Ask, maxWait time.Duration) (Decision, error) {
	start := g.now()
	if closed(stop) {
		return Decision{Reason: ReasonExhausted, Cost: ask.Cost, Capacity: spec.Capacity}, context.Canceled
	}
	deadline := start.Add(maxWait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if d, ok := g.fromHint(spec, ask, start, deadline); ok {
		return d, nil
	}
	if maxWait > 0 {
		ask.Waiter = &Waiter{ID: newID(), Patience: maxWait + time.Second}
	}
	for {
		d, err := g.store.Take(ctx, spec, ask)
		now := g.now()
		d.Waited = now.Sub(start)
		if err != nil {
			g.leave(spec, ask)
			return Decision{Reason: ReasonStoreUnavailable, Cost: ask.Cost, Capacity: spec.Capacity, Waited: d.Waited}, errors.Join(ErrUnavailable, err)
		}
		if d.Allowed {
			return d, nil
		}
		g.learn(spec, ask, d, now)
		if ask.Waiter != nil && d.Waiter != "" {
			ask.Waiter.Handle = d.Waiter
		}
		wake := now.Add(d.RetryAfter)
		if d.RetryAfter < 0 || wake.After(deadline) || d.Reason == ReasonTooExpensive {
			g.leave(spec, ask)
			return d, nil
		}
		if err := sleepCtx(ctx, stop, d.RetryAfter); err != nil {
			g.leave(spec, ask)
			d.Waited = g.now().Sub(start)
			return d, err
		}
	}
}

// fromHint refuses at once, or sleeps first, when a recent refusal already says the ask
// cannot fit yet: a flood during exhaustion or lockout costs no store round trip.
func (g *Gate) fromHint(spec *Spec, ask Ask, now, deadline time.Time) (Decision, bool) {
	g.mu.Lock()
	h := g.hints[spec.Name]
	g.mu.Unlock()
	until := h.lockedUntil
	reason := ReasonLockout
	if !now.Before(until) {
		if ask.Priority == PriorityCritical || ask.Cost < h.shortCost || !now.Before(h.shortUntil) {
			return Decision{}, false
		}
		until, reason = h.shortUntil, ReasonExhausted
	}
	if !until.After(deadline) {
		return Decision{}, false // worth waiting for; the store still decides
	}
	return Decision{Reason: reason, Cost: ask.Cost, Capacity: spec.Capacity, RetryAfter: until.Sub(now), Local: true}, true
}

func (g *Gate) learn(spec *Spec, ask Ask, d Decision, now time.Time) {
	if d.RetryAfter <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	h := g.hints[spec.Name]
	switch {
	case d.Reason == ReasonLockout:
		h.lockedUntil = now.Add(d.RetryAfter)
	case d.Reason == ReasonExhausted && ask.Priority != PriorityCritical:
		h.shortUntil, h.shortCost = now.Add(d.RetryAfter), ask.Cost
	default:
		return
	}
	g.hints[spec.Name] = h
}

// leave gives up a place in the line. It must happen even when ctx is done (client gone),
// so it uses its own short deadline.
func (g *Gate) leave(spec *Spec, ask Ask) {
	if ask.Waiter == nil || ask.Waiter.Handle == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = g.store.Leave(ctx, spec, ask.Waiter.Handle) // a stale place ages out anyway
}

// Settle reports that the upstream answered an admitted call. Like leave, it must run
// even if the request context is gone. It sets no deadline of its own: most settles
// never leave the process (a lease's, the memory store's, or one queued for the next
// batch), and a timer per answered call is a cost every call paid for the rare one that
// waits on Redis, which bounds its own wait (settleTimeout).
func (g *Gate) Settle(spec *Spec, t Ticket) error {
	return g.store.Settle(context.Background(), spec, t)
}

// Lock records an upstream lockout for every replica and remembers it locally.
func (g *Gate) Lock(ctx context.Context, spec *Spec, d time.Duration) error {
	g.mu.Lock()
	h := g.hints[spec.Name]
	if until := g.now().Add(d); until.After(h.lockedUntil) {
		h.lockedUntil = until
	}
	g.hints[spec.Name] = h
	g.mu.Unlock()
	return g.store.Lock(ctx, spec, d)
}

func sleepCtx(ctx context.Context, stop <-chan struct{}, d time.Duration) error {
	if d <= 0 {
		if closed(stop) {
			return context.Canceled
		}
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return context.Canceled
	}
}

// closed reports whether stop is closed (never, for nil).
func closed(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}
