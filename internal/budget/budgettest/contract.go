package budgettest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
)

// Factory builds a fresh, empty store reading time from clock.
type Factory func(t *testing.T, clock func() time.Time) budget.Store

var spec = budget.Spec{Name: "contract", Capacity: 10, Window: 10 * time.Second, Hold: 5 * time.Second}

type env struct {
	t     *testing.T
	store budget.Store
	clock *Clock
	spec  *budget.Spec
}

func (e *env) take(caller string, cost int64, mut ...func(*budget.Ask)) budget.Decision {
	e.t.Helper()
	ask := budget.Ask{Caller: caller, Cost: cost}
	for _, m := range mut {
		m(&ask)
	}
	d, err := e.store.Take(context.Background(), e.spec, ask)
	if err != nil {
		e.t.Fatalf("Take: %v", err)
	}
	return d
}

func (e *env) mustAllow(caller string, cost int64, mut ...func(*budget.Ask)) budget.Ticket {
	e.t.Helper()
	d := e.take(caller, cost, mut...)
	if !d.Allowed {
		e.t.Fatalf("ask %s/%d refused (%s, retry %v); want admitted", caller, cost, d.Reason, d.RetryAfter)
	}
	return d.Ticket
}

func (e *env) mustRefuse(reason budget.Reason, caller string, cost int64, mut ...func(*budget.Ask)) budget.Decision {
	e.t.Helper()
	d := e.take(caller, cost, mut...)
	if d.Allowed || d.Reason != reason {
		e.t.Fatalf("ask %s/%d: allowed=%v reason=%q; want refused for %q", caller, cost, d.Allowed, d.Reason, reason)
	}
	return d
}

func (e *env) settle(tk budget.Ticket) {
	e.t.Helper()
	if err := e.store.Settle(context.Background(), e.spec, tk); err != nil {
		e.t.Fatalf("Settle: %v", err)
	}
}

func (e *env) used() int64 {
	e.t.Helper()
	u, err := e.store.Usage(context.Background(), e.spec)
	if err != nil {
		e.t.Fatalf("Usage: %v", err)
	}
	return u.Used
}

func priority(p budget.Priority) func(*budget.Ask) { return func(a *budget.Ask) { a.Priority = p } }
func callerCap(n int64) func(*budget.Ask)          { return func(a *budget.Ask) { a.CallerCap = n } }
func waiting(w *budget.Waiter) func(*budget.Ask)   { return func(a *budget.Ask) { a.Waiter = w } }

// Run runs the contract against stores built by newStore.
func Run(t *testing.T, newStore Factory) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			clock := NewClock()
			s := spec
			s.Name = fmt.Sprintf("contract-%d", time.Now().UnixNano())
			c.run(&env{t: t, store: newStore(t, clock.Now), clock: clock, spec: &s})
		})
	}
}

var contract = []struct {
	name string
	run  func(e *env)
}{
	{"capacity is reachable exactly and one point more is refused", func(e *env) {
		for range 5 {
			e.mustAllow("a", 2)
		}
		d := e.mustRefuse(budget.ReasonExhausted, "a", 1)
		if d.Used != 10 || d.Remaining() != 0 {
			e.t.Fatalf("used %d remaining %d; want 10 and 0", d.Used, d.Remaining())
		}
	}},
	{"an unanswered call stays counted for hold plus window", func(e *env) {
		e.mustAllow("a", 10)
		e.clock.Advance(e.spec.Hold + e.spec.Window - time.Millisecond)
		e.mustRefuse(budget.ReasonExhausted, "a", 1)
		e.clock.Advance(time.Millisecond)
		e.mustAllow("a", 10)
	}},
	{"an answered call stays counted for one window after its answer", func(e *env) {
		tk := e.mustAllow("a", 10)
		e.clock.Advance(3 * time.Second)
		e.settle(tk)
		e.clock.Advance(e.spec.Window - time.Millisecond)
		d := e.mustRefuse(budget.ReasonExhausted, "a", 1)
		if d.RetryAfter != time.Millisecond {
			e.t.Fatalf("retry after %v; want the 1ms until the answer is a window old", d.RetryAfter)
		}
		e.clock.Advance(time.Millisecond)
		e.mustAllow("a", 10)
	}},
	{"settling twice or late never extends the count", func(e *env) {
		tk := e.mustAllow("a", 10)
		e.clock.Advance(time.Second)
		e.settle(tk)
		e.clock.Advance(time.Second)
		e.settle(tk)
		e.clock.Advance(e.spec.Window - time.Second)
		e.mustAllow("a", 10)
	}},
	{"refused asks spend nothing however many there are", func(e *env) {
		e.mustAllow("a", 9)
		for range 50 {
			e.mustRefuse(budget.ReasonExhausted, "b", 5)
		}
		if u := e.used(); u != 9 {
			e.t.Fatalf("used %d after refusals; want 9", u)
		}
		e.mustAllow("b", 1)
	}},
	{"the retry time is when enough of the oldest points are released", func(e *env) {
		tk1 := e.mustAllow("a", 4)
		e.clock.Advance(time.Second)
		tk2 := e.mustAllow("a", 4)
		e.settle(tk1)
		e.settle(tk2)
		e.clock.Advance(time.Second)
		e.mustAllow("a", 2)
		d := e.mustRefuse(budget.ReasonExhausted, "b", 6)
		// Both settled at +1s: 8 points are free at +11s, i.e. 10s from now.
		if d.RetryAfter != 9*time.Second {
			e.t.Fatalf("retry after %v; want 9s", d.RetryAfter)
		}
	}},
	{"the reserve is for critical callers only", func(e *env) {
		e.spec.Reserve = 3
		e.mustAllow("a", 7)
		e.mustRefuse(budget.ReasonExhausted, "a", 1)
		e.mustRefuse(budget.ReasonExhausted, "b", 1, priority(budget.PriorityBatch))
		e.mustAllow("oncall", 3, priority(budget.PriorityCritical))
	}},
	{"a cost that can never fit is refused as too expensive", func(e *env) {
		e.spec.Reserve = 3
		e.mustRefuse(budget.ReasonTooExpensive, "a", 8)
		e.mustAllow("oncall", 10, priority(budget.PriorityCritical))
		e.mustRefuse(budget.ReasonTooExpensive, "b", 4, callerCap(3))
	}},
	{"a caller's cap holds while others still get points", func(e *env) {
		e.mustAllow("greedy", 4, callerCap(6))
		e.clock.Advance(time.Second)
		e.mustAllow("greedy", 2, callerCap(6))
		d := e.mustRefuse(budget.ReasonCallerCap, "greedy", 2, callerCap(6))
		// Unanswered calls could be answered this instant, so the soonest release is a window away.
		if d.RetryAfter != e.spec.Window {
			e.t.Fatalf("retry after %v; want one window, the soonest an unanswered call can be released", d.RetryAfter)
		}
		e.mustAllow("modest", 4)
	}},
	{"a waiter's points are set aside so cheaper asks cannot starve it", func(e *env) {
		e.mustAllow("a", 8)
		w := &budget.Waiter{ID: "perm-waiter", Patience: time.Minute}
		d := e.mustRefuse(budget.ReasonExhausted, "perm", 10, waiting(w))
		if d.Waiter == "" {
			e.t.Fatal("no waiter handle returned for a refused ask that asked to wait")
		}
		w.Handle = d.Waiter
		// 2 points are free, but they belong to the waiter ahead.
		e.mustRefuse(budget.ReasonExhausted, "cheap", 2)
		e.clock.Advance(e.spec.Hold + e.spec.Window)
		e.mustAllow("perm", 10, waiting(w))
		e.mustRefuse(budget.ReasonExhausted, "cheap", 2)
	}},
	{"a capped caller's waiters set aside no more than its remaining cap", func(e *env) {
		e.mustAllow("filler", 9)
		e.mustAllow("capped", 1, callerCap(3))
		// Three waiters of the capped caller ask 2 points each (6): its cap leaves it 2.
		for i := range 3 {
			w := &budget.Waiter{ID: fmt.Sprintf("capped-%d", i), Patience: time.Minute}
			e.mustRefuse(budget.ReasonExhausted, "capped", 2, waiting(w), callerCap(3))
		}
		e.clock.Advance(e.spec.Hold + e.spec.Window) // everything admitted is released
		// 10 free: the capped waiters hold back at most the 3 its cap allows now, so 7 fit.
		e.mustAllow("other", 7)
		e.mustRefuse(budget.ReasonExhausted, "other", 1)
	}},
	{"critical waiters go first and batch waiters last", func(e *env) {
		e.mustAllow("a", 10)
		batch := &budget.Waiter{ID: "batch", Patience: time.Minute}
		d := e.mustRefuse(budget.ReasonExhausted, "b", 5, waiting(batch), priority(budget.PriorityBatch))
		batch.Handle = d.Waiter
		crit := &budget.Waiter{ID: "crit", Patience: time.Minute}
		d = e.mustRefuse(budget.ReasonExhausted, "c", 6, waiting(crit), priority(budget.PriorityCritical))
		crit.Handle = d.Waiter
		e.clock.Advance(e.spec.Hold + e.spec.Window)
		// A normal ask ignores the batch waiter but leaves the critical one its 6 points.
		e.mustAllow("n", 4)
		e.mustRefuse(budget.ReasonExhausted, "b", 5, waiting(batch), priority(budget.PriorityBatch))
		e.mustAllow("c", 6, waiting(crit), priority(budget.PriorityCritical))
	}},
	{"a waiter that leaves frees its place at once", func(e *env) {
		e.mustAllow("a", 8)
		w := &budget.Waiter{ID: "leaver", Patience: time.Minute}
		d := e.mustRefuse(budget.ReasonExhausted, "perm", 10, waiting(w))
		if err := e.store.Leave(context.Background(), e.spec, d.Waiter); err != nil {
			e.t.Fatal(err)
		}
		e.mustAllow("cheap", 2)
	}},
	{"a stale waiter ages out after its patience", func(e *env) {
		e.mustAllow("a", 8)
		w := &budget.Waiter{ID: "crashed", Patience: 2 * time.Second}
		e.mustRefuse(budget.ReasonExhausted, "perm", 10, waiting(w))
		e.clock.Advance(2 * time.Second)
		e.mustAllow("cheap", 2)
	}},
	{"a lockout refuses everything until it ends and only grows", func(e *env) {
		ctx := context.Background()
		if err := e.store.Lock(ctx, e.spec, 5*time.Second); err != nil {
			e.t.Fatal(err)
		}
		if err := e.store.Lock(ctx, e.spec, time.Second); err != nil {
			e.t.Fatal(err)
		}
		d := e.mustRefuse(budget.ReasonLockout, "oncall", 1, priority(budget.PriorityCritical))
		if d.RetryAfter != 5*time.Second {
			e.t.Fatalf("retry after %v; want 5s", d.RetryAfter)
		}
		u, err := e.store.Usage(ctx, e.spec)
		if err != nil || u.LockedFor != 5*time.Second {
			e.t.Fatalf("usage lockout %v (err %v); want 5s", u.LockedFor, err)
		}
		e.clock.Advance(5 * time.Second)
		e.mustAllow("a", 1)
	}},
	{"absorbed outside spending is counted for its duration even beyond capacity", func(e *env) {
		e.mustAllow("a", 8)
		if err := e.store.Absorb(context.Background(), e.spec, 5, 3*time.Second); err != nil {
			e.t.Fatal(err)
		}
		if u := e.used(); u != 13 {
			e.t.Fatalf("used %d; want 13: absorbed points count even over capacity", u)
		}
		e.clock.Advance(3 * time.Second)
		e.mustAllow("b", 2)
		e.mustRefuse(budget.ReasonExhausted, "b", 1)
	}},
	{"budgets with different names do not share points", func(e *env) {
		e.mustAllow("a", 10)
		other := *e.spec
		other.Name += "-other"
		d, err := e.store.Take(context.Background(), &other, budget.Ask{Caller: "a", Cost: 10})
		if err != nil || !d.Allowed {
			e.t.Fatalf("other budget refused (%v, %v)", d.Reason, err)
		}
	}},
}
