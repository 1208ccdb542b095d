package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/keys"
	"github.com/budgetgw/gateway/internal/metrics"
	"github.com/budgetgw/gateway/internal/schedlag"
)

// storeRuntime is the budget store plus what must run beside it and be closed after it.
type storeRuntime struct {
	store budget.Store
	keys  keys.Store
	redis redis.UniversalClient     // nil for memory
	run   func(ctx context.Context) // background work (nil for memory)
	close func() error
}

// buildStore picks the budget store the configuration asks for: memory when no Redis is
// configured, else Redis behind Failover (local_share or fail_closed).
func buildStore(cfg *config.Config, m *metrics.Metrics, log *zap.Logger) (*storeRuntime, error) {
	if !cfg.Redis.Enabled() {
		return &storeRuntime{store: budget.NewMemory(nil), keys: keys.NewMemory(), close: func() error { return nil }}, nil
	}
	client, err := NewRedisClient(cfg.Redis)
	if err != nil {
		return nil, err
	}
	upstreamsOf := map[string][]string{}
	for _, u := range cfg.Upstreams {
		upstreamsOf[u.Budget.Name] = append(upstreamsOf[u.Budget.Name], u.Name)
		m.StoreDegraded.WithLabelValues(u.Name).Set(0)
	}
	lag := schedlag.New()
	f := budget.NewFailover(budget.NewRedis(client, budget.RedisOptions{Prefix: cfg.Redis.KeyPrefix}), budget.FailoverOptions{
		Replicas:    cfg.Redis.Replicas,
		FailClosed:  cfg.Redis.OnFailure == "fail_closed",
		Timeout:     cfg.Redis.Timeout * 4, // one background step (several calls, each cut at the timeout)
		CallTimeout: cfg.Redis.Timeout,     // what a request may spend on the store, once
		Lag:         lag.Lag,               // a starved process does not blame Redis
		LeaseLife:   leaseLife(cfg.Redis),
		OnDegraded: func(name string, degraded bool) {
			v := 0.0
			if degraded {
				v = 1
				log.Warn("budget store unreachable; running on the local share", zap.String("budget", name), zap.String("on_failure", cfg.Redis.OnFailure))
			} else {
				log.Info("budget store answers again; shared budget resumed", zap.String("budget", name))
			}
			for _, u := range upstreamsOf[name] {
				m.StoreDegraded.WithLabelValues(u).Set(v)
			}
		},
		OnError: func(op string) { m.StoreErrors.WithLabelValues(op).Inc() },
	})
	return &storeRuntime{store: f, keys: keys.NewRedis(client, cfg.Redis.KeyPrefix), redis: client, run: func(ctx context.Context) {
		go lag.Run(ctx)
		f.Run(ctx)
	}, close: client.Close}, nil
}

// leaseLife turns redis.leases into FailoverOptions.LeaseLife: 0 picks the store's
// default life, negative turns leases off.
func leaseLife(r config.Redis) time.Duration {
	if r.Leases != nil && !*r.Leases {
		return -1
	}
	return 0
}

// redisPoolSize is how many connections a replica may open to Redis. Generous: a request
// that waits for a connection is bounded by redis.timeout and then served from the local
// share, so a pool too small for the load would push healthy requests out of the shared
// budget.
const redisPoolSize = 128

// NewRedisClient builds the client for a single server (url), Sentinel or Cluster. Every
// call is bounded by the short timeout and never retried: a hung Redis must cost a
// request at most one timeout, never several. The timeout bounds each stage (waiting for
// a pooled connection, dialling, writing, reading), and the store also gives every call a
// context deadline of one timeout, which go-redis honours throughout
// (ContextTimeoutEnabled), so the stages never add up. The background loop's calls end at
// the timeout too, though its steps get four (a step may take several calls): a probe that
// waited longer than a request may would close the breaker onto a Redis that requests
// time out on, and the breaker would flap.
func NewRedisClient(r config.Redis) (redis.UniversalClient, error) {
	var password string
	if r.Password.Env != "" || r.Password.File != "" {
		p, err := r.Password.Load()
		if err != nil {
			return nil, fmt.Errorf("redis.password: %w", err)
		}
		password = p.Reveal()
	}
	if r.URL != "" {
		o, err := redis.ParseURL(r.URL)
		if err != nil {
			return nil, fmt.Errorf("redis.url: %w", err)
		}
		if password != "" {
			o.Password = password
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = r.Timeout, r.Timeout, r.Timeout, r.Timeout
		o.ContextTimeoutEnabled, o.MaxRetries, o.PoolSize = true, -1, max(o.PoolSize, redisPoolSize)
		return redis.NewClient(o), nil
	}
	if len(r.Addrs) == 0 {
		return nil, errors.New("redis: set url or addrs")
	}
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 r.Addrs,
		MasterName:            r.MasterName,
		IsClusterMode:         r.Cluster,
		Password:              password,
		DialTimeout:           r.Timeout,
		ReadTimeout:           r.Timeout,
		WriteTimeout:          r.Timeout,
		PoolTimeout:           r.Timeout,
		ContextTimeoutEnabled: true,
		PoolSize:              redisPoolSize,
		MaxRetries:            -1,
		MinIdleConns:          2,
		ConnMaxIdleTime:       5 * time.Minute,
	}), nil
}

// watchBudgets makes the Redis store heartbeat every configured budget from the start:
// a replica cut off from Redis gets a share only of budgets the others know it serves.
func (a *App) watchBudgets() {
	f, ok := a.store.(*budget.Failover)
	if !ok {
		return
	}
	for _, spec := range a.gateway.Budgets() {
		f.Watch(spec)
	}
}
