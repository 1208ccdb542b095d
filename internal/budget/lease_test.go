package budget_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget/budgettest"
	"github.com/budgetgw/gateway/internal/testutil"
)

// The property suite with leases at work: a budget large enough for replicas to lease
// points while it is far from binding (a lease is at most a twelfth of it with three
// replicas, so one covers a few dozen calls). The fleet never overspends, leases or not,
// through a kill-and-restart-empty and a hang.

// leaseProperty is sized so that leases are granted in the first half of every window.
var leaseProperty = budgettest.PropertyOptions{Capacity: 2400, Window: 500 * time.Millisecond, Span: 3 * time.Second, Callers: 60, Gates: 3}

func TestFailoverWithLeasesNeverOverspendsAcrossReplicas(t *testing.T) {
	srv := testutil.StartRedis(t)
	stores, _, _ := failoverReplicas(t, []string{srv.Addr()}, 3)
	o := leaseProperty
	o.Seed = 21
	calls := budgettest.RunProperty(t, asStores(stores), o)
	maxPoints, util := budgettest.CheckWindows(calls, o.Capacity, o.Window)
	t.Logf("%d calls, %d from leases, max %d points in a window, utilisation %.3f", len(calls), leasedBy(stores), maxPoints, util)
	if maxPoints > o.Capacity {
		t.Fatalf("a window held %d points; capacity is %d\n%s", maxPoints, o.Capacity, budgettest.Worst(calls, o.Window))
	}
	if leasedBy(stores) == 0 {
		t.Fatal("no call was admitted from a lease: the test does not test leases")
	}
}

func TestFailoverWithLeasesStaysExactWhenRedisIsKilledAndRestartedEmpty(t *testing.T) {
	srv := testutil.StartRedis(t)
	stores, down, up := failoverReplicas(t, []string{srv.Addr()}, 3)
	o := leaseProperty
	o.Seed = 23
	go func() {
		time.Sleep(1200 * time.Millisecond)
		srv.Kill()
		time.Sleep(400 * time.Millisecond)
		srv.Restart() // empty: the open leases' entries are gone too
	}()
	runWithLeasesThroughAFault(t, stores, o, down, up)
}

func TestFailoverWithLeasesStaysExactWhenRedisHangs(t *testing.T) {
	srv := testutil.StartRedis(t)
	stores, down, up := failoverReplicas(t, []string{srv.Addr()}, 3)
	o := leaseProperty
	o.Seed = 25
	go func() {
		time.Sleep(time.Second)
		srv.Pause()
		time.Sleep(700 * time.Millisecond)
		srv.Resume()
	}()
	runWithLeasesThroughAFault(t, stores, o, down, up)
}

// runWithLeasesThroughAFault is runThroughAFault, and checks that calls were admitted
// from leases.
func runWithLeasesThroughAFault(t *testing.T, stores []*counting, o budgettest.PropertyOptions, down, up *atomic.Int32) {
	t.Helper()
	runThroughAFault(t, stores, o, down, up)
	if leasedBy(stores) == 0 {
		t.Fatal("no call was admitted from a lease: the test does not test leases")
	}
}
