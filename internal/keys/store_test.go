package keys_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/keys"
	"github.com/budgetgw/gateway/internal/keys/keystest"
	"github.com/budgetgw/gateway/internal/testutil"
)

func TestMemoryStoreContract(t *testing.T) { keystest.Run(t, keys.NewMemory()) }

func TestRedisStoreContract(t *testing.T) {
	srv := testutil.StartRedis(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	keystest.Run(t, keys.NewRedis(client, "test"))
}

func TestConcurrentUpdatesAreNeverLost(t *testing.T) {
	t.Run("memory", func(t *testing.T) { keystest.RunConcurrent(t, keys.NewMemory(), 16) })
	t.Run("redis", func(t *testing.T) {
		srv := testutil.StartRedis(t)
		client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { _ = client.Close() })
		keystest.RunConcurrent(t, keys.NewRedis(client, "test"), 16)
	})
}
