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

// The scripts touch only keys of one hash tag, so a budget lives on one Cluster slot and
// every script runs on one node. The whole contract must hold there too.
func TestRedisClusterContract(t *testing.T) {
	addrs := testutil.StartCluster(t, 3)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ReadTimeout: time.Second, MaxRetries: 2})
	t.Cleanup(func() { _ = c.Close() })
	budgettest.Run(t, func(t *testing.T, clock func() time.Time) budget.Store {
		return budget.NewRedis(c, budget.RedisOptions{Now: clock, RestoreGrace: -1})
	})
	// Budgets spread over the nodes: different names hash to different slots.
	s := budget.NewRedis(c, budget.RedisOptions{RestoreGrace: -1})
	for _, name := range []string{"alpha", "beta", "gamma", "delta", "epsilon"} {
		spec := &budget.Spec{Name: name, Capacity: 4, Window: time.Second, Hold: time.Second}
		d, err := s.Take(context.Background(), spec, budget.Ask{Caller: "a", Cost: 4})
		if err != nil || !d.Allowed {
			t.Fatalf("budget %s on the cluster: %+v %v", name, d, err)
		}
	}
}

func TestRedisSentinelContract(t *testing.T) {
	master := testutil.StartRedis(t)
	sentinel := testutil.StartSentinel(t, master)
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{sentinel}, ReadTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	budgettest.Run(t, func(t *testing.T, clock func() time.Time) budget.Store {
		return budget.NewRedis(c, budget.RedisOptions{Now: clock, RestoreGrace: -1})
	})
}
