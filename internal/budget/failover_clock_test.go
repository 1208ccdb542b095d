package budget_test

import (
	"context"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/budget/budgettest"
	"github.com/budgetgw/gateway/internal/testutil"
)

// These tests run replicas and Redis on one injected clock, so every bound of the local
// share is checked at its exact edge, with no sleeping.

type clockReplica struct {
	t     *testing.T
	store *budget.Failover
	spec  *budget.Spec
}

func newClockReplica(t *testing.T, addr string, clock *budgettest.Clock, replicas int, spec *budget.Spec) *clockReplica {
	c := failoverClient(t, addr, 200*time.Millisecond)
	f := budget.NewFailover(budget.NewRedis(c, budget.RedisOptions{Now: clock.Now, RestoreGrace: -1}),
		// No leases: these tests count the local share to the point, and a lease's unspent
		// points stay counted through an outage (lease_test.go covers leases).
		budget.FailoverOptions{Replicas: replicas, Stale: time.Second, Now: clock.Now, LeaseLife: -1})
	f.Watch(spec)
	return &clockReplica{t: t, store: f, spec: spec}
}

// sync is what the background loop does every tick: read the budget and heartbeat.
func (r *clockReplica) sync() {
	r.t.Helper()
	if _, err := r.store.Usage(context.Background(), r.spec); err != nil {
		r.t.Fatalf("usage: %v", err)
	}
}

// takeAll asks for cost-point calls until one is refused and returns how many were admitted.
func (r *clockReplica) takeAll(cost int64) (admitted int, local bool) {
	r.t.Helper()
	for range 1000 {
		d, err := r.store.Take(context.Background(), r.spec, budget.Ask{Caller: "c", Cost: cost})
		if err != nil {
			r.t.Fatalf("take: %v", err)
		}
		if !d.Allowed {
			return admitted, d.Local
		}
		admitted++
		local = d.Local
	}
	r.t.Fatal("never refused")
	return
}

func TestFailoverLoneReplicaSpendsTheWholeBudgetAtOnce(t *testing.T) {
	srv := testutil.StartRedis(t)
	clock := budgettest.NewClock()
	spec := &budget.Spec{Name: "lone", Capacity: 300, Window: 10 * time.Second, Hold: 5 * time.Second}
	r := newClockReplica(t, srv.Addr(), clock, 1, spec)
	r.sync()
	for range 8 {
		if d, err := r.store.Take(context.Background(), spec, budget.Ask{Caller: "c", Cost: 2}); err != nil || !d.Allowed {
			t.Fatalf("take before the outage: %+v %v", d, err)
		}
	}
	clock.Advance(time.Millisecond)
	r.sync() // 16 of 300 points counted, as Redis says
	clock.Advance(time.Second)
	srv.Kill()
	// 284 points are provably free: nobody else spends them.
	if n, local := r.takeAll(2); n != 142 || !local {
		t.Fatalf("admitted %d two-point calls alone (local %v); want 142: the whole budget less the 16 counted", n, local)
	}
	u, err := r.store.Usage(context.Background(), spec)
	if err != nil || u.Used != 300 {
		t.Fatalf("usage while down: %d (%v); want the local estimate, 300", u.Used, err)
	}
}

func TestFailoverCutOffReplicaSpendsItsShareOnlyWhenTheOthersLeaveIt(t *testing.T) {
	srv := testutil.StartRedis(t)
	proxy := testutil.StartFaultProxy(t, srv.Addr())
	clock := budgettest.NewClock()
	spec := &budget.Spec{Name: "partition", Capacity: 300, Window: 10 * time.Second, Hold: 5 * time.Second}
	life := spec.Hold + spec.Window
	cut := newClockReplica(t, proxy.Addr(), clock, 3, spec)
	ok := newClockReplica(t, srv.Addr(), clock, 3, spec)
	for range 2 { // the first sync learns Redis's clock; the second heartbeats with it
		cut.sync()
		ok.sync()
	}
	start := clock.Now()
	proxy.Cut()

	clock.Advance(2 * time.Second) // past the 1 s staleness bound
	if n, _ := cut.takeAll(10); n != 0 {
		t.Fatalf("the cut-off replica admitted %d calls before the others' admissions could be released", n)
	}
	if n, _ := ok.takeAll(10); n != 20 {
		t.Fatalf("a connected replica admitted %d ten-point calls; want 20: 300 less the cut-off one's share of 100", n)
	}

	clock.Advance(start.Add(time.Second + life).Sub(clock.Now())) // stale bound + what the others admitted lived
	if n, local := cut.takeAll(10); n != 10 || !local {
		t.Fatalf("the cut-off replica admitted %d ten-point calls alone (local %v); want its share, 10", n, local)
	}

	// Gone for good 4×(hold+window) after its heartbeat lapsed: it stopped spending one
	// life before, so that all it admitted is released when the others take its share back.
	clock.Advance(start.Add(time.Second + 3*life).Sub(clock.Now()))
	if n, _ := cut.takeAll(1); n != 0 {
		t.Fatalf("the cut-off replica admitted %d calls after its spending window", n)
	}
	clock.Advance(start.Add(time.Second + 4*life).Sub(clock.Now()))
	if n, _ := ok.takeAll(10); n != 30 {
		t.Fatalf("a connected replica admitted %d ten-point calls once the cut-off one was gone; want 30", n)
	}
}

func TestFailoverReplicaThatSaysGoodbyeLeavesNoShareBehind(t *testing.T) {
	srv := testutil.StartRedis(t)
	clock := budgettest.NewClock()
	spec := &budget.Spec{Name: "goodbye", Capacity: 300, Window: 10 * time.Second, Hold: 5 * time.Second}
	leaving := newClockReplica(t, srv.Addr(), clock, 3, spec)
	crashed := newClockReplica(t, srv.Addr(), clock, 3, spec)
	staying := newClockReplica(t, srv.Addr(), clock, 3, spec)
	for range 2 {
		leaving.sync()
		crashed.sync()
		staying.sync()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	leaving.store.Run(ctx) // stopped while connected: says goodbye on its way out
	clock.Advance(2 * time.Second)
	// The crashed replica's heartbeat lapsed: its share is set aside. The one that said
	// goodbye will never spend alone: nothing is set aside for it.
	if n, _ := staying.takeAll(10); n != 20 {
		t.Fatalf("admitted %d ten-point calls; want 20: 300 less the crashed replica's share only", n)
	}
}
