package budget_test

import (
	"context"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
)

func TestReconcileCountsWhatTheUpstreamSaysWasSpentOutside(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { return now }
	store := budget.NewMemory(clock)
	g := budget.NewGate(store, clock)
	spec := &budget.Spec{Name: "org", Capacity: 100, Window: time.Minute, Hold: time.Minute}
	ctx := context.Background()

	first, err := g.Acquire(ctx, spec, budget.Ask{Caller: "a", Cost: 2}, 0)
	if err != nil || !first.Allowed {
		t.Fatalf("first ask: %+v, %v", first, err)
	}
	second, err := g.Acquire(ctx, spec, budget.Ask{Caller: "a", Cost: 2}, 0)
	if err != nil || !second.Allowed {
		t.Fatalf("second ask: %+v, %v", second, err)
	}
	// The first call is still on its way when the second one's answer arrives: the
	// upstream has not counted it yet, and that must not hide the outside spending.
	doneFirst := g.Forwarding(spec, first)
	doneSecond := g.Forwarding(spec, second)
	// The gateway counts 4 used (96 left); the upstream saw 2 of them plus 10 from outside.
	rec, err := g.Reconcile(spec, second, 100-2-10)
	doneSecond.Answered()
	if err != nil || rec.Gap != 10 || rec.Throttled {
		t.Fatalf("Reconcile = %+v, %v; want a gap of 10 points absorbed", rec, err)
	}
	if u, _ := store.Usage(ctx, spec); u.Used != 14 {
		t.Fatalf("the store counts %d used; want 4 admitted + 10 absorbed", u.Used)
	}

	again, _ := g.Reconcile(spec, second, 100-2-10-10)
	if !again.Throttled {
		t.Fatalf("a second gap within moments was absorbed again: %+v", again)
	}
	doneFirst.Answered()

	now = now.Add(time.Second)
	none, err := g.Reconcile(spec, first, 100)
	if err != nil || none.Gap > 0 {
		t.Fatalf("an upstream that counts less than the gateway gave %+v, %v; want no gap", none, err)
	}
}
