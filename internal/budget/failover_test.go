package budget_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/budget/budgettest"
	"github.com/budgetgw/gateway/internal/testutil"
)

// failoverReplicas builds n replicas' stores on srv, each with its own client and
// background loop, and counts how often any of them went degraded and came back.
func failoverReplicas(t *testing.T, srv *testutil.RedisServer, n int) ([]budget.Store, *atomic.Int32, *atomic.Int32) {
	var down, up atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var stores []budget.Store
	for range n {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr(), DialTimeout: 100 * time.Millisecond, ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond, MaxRetries: -1})
		t.Cleanup(func() { _ = c.Close() })
		f := budget.NewFailover(budget.NewRedis(c, budget.RedisOptions{RestoreGrace: 500 * time.Millisecond}), budget.FailoverOptions{
			Replicas: n, Every: 50 * time.Millisecond, Timeout: 100 * time.Millisecond,
			OnDegraded: func(_ string, d bool) {
				if d {
					down.Add(1)
				} else {
					up.Add(1)
				}
			},
		})
		go f.Run(ctx)
		stores = append(stores, f)
	}
	return stores, &down, &up
}

func TestFailoverStaysExactWhenRedisIsKilledAndRestartedEmpty(t *testing.T) {
	srv := testutil.StartRedis(t)
	stores, down, up := failoverReplicas(t, srv, 3)
	o := budgettest.PropertyOptions{Capacity: 120, Window: 500 * time.Millisecond, Span: 4 * time.Second, Callers: 60, Gates: 3, Seed: 3}
	go func() {
		time.Sleep(1200 * time.Millisecond)
		srv.Kill()
		time.Sleep(600 * time.Millisecond)
		srv.Restart() // empty: every entry Redis held is gone
	}()
	calls := budgettest.RunProperty(t, stores, o)
	maxPoints, util := budgettest.CheckWindows(calls, o.Capacity, o.Window)
	t.Logf("%d calls, max %d points in a window, utilisation %.3f; degraded %d times, recovered %d", len(calls), maxPoints, util, down.Load(), up.Load())
	if maxPoints > o.Capacity {
		t.Fatalf("a window held %d points; capacity is %d", maxPoints, o.Capacity)
	}
	if down.Load() == 0 || up.Load() == 0 {
		t.Fatalf("degraded %d times and recovered %d: want both, the outage went unnoticed", down.Load(), up.Load())
	}
	// Shared mode resumed: the last second of the run was decided in Redis again.
	if util < 0.5 {
		t.Fatalf("utilisation %.3f: the budget did not resume after Redis came back", util)
	}
}

func TestFailoverStaysExactWhenRedisHangs(t *testing.T) {
	srv := testutil.StartRedis(t)
	stores, down, up := failoverReplicas(t, srv, 3)
	o := budgettest.PropertyOptions{Capacity: 120, Window: 500 * time.Millisecond, Span: 3 * time.Second, Callers: 60, Gates: 3, Seed: 5}
	go func() {
		time.Sleep(time.Second)
		srv.Pause() // SIGSTOP: connections hang instead of failing
		time.Sleep(700 * time.Millisecond)
		srv.Resume()
	}()
	calls := budgettest.RunProperty(t, stores, o)
	maxPoints, _ := budgettest.CheckWindows(calls, o.Capacity, o.Window)
	t.Logf("%d calls, max %d points in a window; degraded %d times, recovered %d", len(calls), maxPoints, down.Load(), up.Load())
	if maxPoints > o.Capacity {
		t.Fatalf("a window held %d points; capacity is %d", maxPoints, o.Capacity)
	}
	if down.Load() == 0 || up.Load() == 0 {
		t.Fatalf("degraded %d times and recovered %d: want both", down.Load(), up.Load())
	}
}

func TestFailClosedRefusesWhenRedisIsDown(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: 100 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	f := budget.NewFailover(budget.NewRedis(c, budget.RedisOptions{RestoreGrace: -1}), budget.FailoverOptions{FailClosed: true})
	spec := &budget.Spec{Name: "closed", Capacity: 10, Window: time.Second, Hold: time.Second}
	srv.Kill()
	d, err := budget.NewGate(f, nil).Acquire(context.Background(), spec, budget.Ask{Caller: "a", Cost: 1}, time.Second)
	if err == nil || d.Reason != budget.ReasonStoreUnavailable {
		t.Fatalf("reason %q err %v; want store_unavailable and an error", d.Reason, err)
	}
}
