package app

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/config"
)

// A hung Redis must cost a request one redis.timeout at most: no stage of a call (waiting
// for a pooled connection, dialling, writing, reading) may wait longer, none is retried,
// and the context deadline the store sets is honoured throughout. The background loop's
// calls too, whatever their context allows (TestFailoverStaysOnItsShareWhileRedisIsSlow
// in internal/budget shows why).
func TestRedisClientBoundsEveryWaitByTheTimeout(t *testing.T) {
	const timeout = 150 * time.Millisecond
	c, err := NewRedisClient(config.Redis{URL: "redis://127.0.0.1:1/0", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	o := c.(*redis.Client).Options()
	for name, d := range map[string]time.Duration{"dial": o.DialTimeout, "read": o.ReadTimeout, "write": o.WriteTimeout, "pool": o.PoolTimeout} {
		if d != timeout {
			t.Errorf("%s timeout %v; want redis.timeout, %v", name, d, timeout)
		}
	}
	if !o.ContextTimeoutEnabled || o.MaxRetries > 0 { // go-redis stores -1 (never) as 0
		t.Errorf("context deadlines honoured %v, retries %d; want true and none", o.ContextTimeoutEnabled, o.MaxRetries)
	}
}
