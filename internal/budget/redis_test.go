package budget_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/budget/budgettest"
	"github.com/budgetgw/gateway/internal/testutil"
)

func newClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRedisContract(t *testing.T) {
	srv := testutil.StartRedis(t)
	budgettest.Run(t, func(t *testing.T, clock func() time.Time) budget.Store {
		return budget.NewRedis(newClient(t, srv.Addr()), budget.RedisOptions{Now: clock, RestoreGrace: -1})
	})
}

func TestRedisNeverOverspendsAcrossReplicas(t *testing.T) {
	srv := testutil.StartRedis(t)
	var stores []budget.Store
	for range 3 {
		stores = append(stores, budget.NewRedis(newClient(t, srv.Addr()), budget.RedisOptions{RestoreGrace: -1}))
	}
	o := budgettest.PropertyOptions{Capacity: 300, Window: time.Second, Span: 4 * time.Second, Callers: 300, Gates: 3, Seed: 7}
	calls := budgettest.RunProperty(t, stores, o)
	maxPoints, util := budgettest.CheckWindows(calls, o.Capacity, o.Window)
	// Utilisation is measured by the bench harness (fidelity), not asserted: on a loaded
	// machine a wall-clock floor fails for reasons other than behaviour.
	t.Logf("%d calls, max %d points in a window, utilisation %.3f", len(calls), maxPoints, util)
	if maxPoints > o.Capacity {
		t.Fatalf("a window held %d points; capacity is %d\n%s", maxPoints, o.Capacity, budgettest.Worst(calls, o.Window))
	}
}

func TestRedisKeysAllExpire(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := newClient(t, srv.Addr())
	s := budget.NewRedis(c, budget.RedisOptions{RestoreGrace: -1})
	spec := &budget.Spec{Name: "ttl", Capacity: 10, Window: time.Second, Hold: time.Second}
	ctx := context.Background()
	d, err := s.Take(ctx, spec, budget.Ask{Caller: "a", Cost: 10})
	if err != nil || !d.Allowed {
		t.Fatalf("take: %v %v", d, err)
	}
	_, _ = s.Take(ctx, spec, budget.Ask{Caller: "a", Cost: 1, Waiter: &budget.Waiter{ID: "w", Patience: time.Second}})
	if err := s.Lock(ctx, spec, time.Second); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	for _, k := range keys {
		if ttl := c.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %s has no TTL (%v): it would leak", k, ttl)
		}
	}
}
