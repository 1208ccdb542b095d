package preflight

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/secret"
)

func planRedis(r config.Redis, o Options) Target {
	c := &redisCheck{cfg: r, o: o}
	return Target{
		Name:  "redis",
		About: c.where(),
		Steps: []Step{{Name: "ping", Plan: "PING twice; the second must answer within redis.timeout (" + r.Timeout.String() + ")", run: c.ping}},
	}
}

type redisCheck struct {
	cfg config.Redis
	o   Options
}

// where names the server without its credentials.
func (c *redisCheck) where() string {
	if c.cfg.URL != "" {
		if u, err := url.Parse(c.cfg.URL); err == nil {
			return u.Redacted()
		}
		return "redis.url (unparseable)"
	}
	switch {
	case c.cfg.MasterName != "":
		return "Sentinel " + strings.Join(c.cfg.Addrs, ", ") + ", master " + c.cfg.MasterName
	case c.cfg.Cluster:
		return "Cluster " + strings.Join(c.cfg.Addrs, ", ")
	}
	return strings.Join(c.cfg.Addrs, ", ")
}

// client builds the client the way the configuration describes the server. The timeouts
// are the check's, not redis.timeout: a slow server should be measured, not cut off. One
// attempt at everything: the check reports what it sees, not what retries would hide.
func (c *redisCheck) client() (redis.UniversalClient, error) {
	var password string
	if c.cfg.Password != (secret.Source{}) {
		v, err := c.cfg.Password.Load()
		if err != nil {
			return nil, fmt.Errorf("redis.password: %w", err)
		}
		password = v.Reveal()
	}
	t := c.o.Timeout
	if c.cfg.URL != "" {
		opts, err := redis.ParseURL(c.cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("redis.url: %w", err)
		}
		if password != "" {
			opts.Password = password
		}
		opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = t, t, t
		opts.MaxRetries, opts.DialerRetries = -1, 1
		return redis.NewClient(opts), nil
	}
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:         c.cfg.Addrs,
		MasterName:    c.cfg.MasterName,
		IsClusterMode: c.cfg.Cluster,
		Password:      password,
		DialTimeout:   t,
		ReadTimeout:   t,
		WriteTimeout:  t,
		MaxRetries:    -1,
		DialerRetries: 1,
	}), nil
}

func (c *redisCheck) ping(ctx context.Context) (string, error) {
	client, err := c.client()
	if err != nil {
		return "", err
	}
	defer client.Close()
	start := c.o.Now()
	if err := client.Ping(ctx).Err(); err != nil {
		return "", fmt.Errorf("PING %s: %w", c.where(), err)
	}
	first := c.o.Now().Sub(start)
	start = c.o.Now()
	if err := client.Ping(ctx).Err(); err != nil {
		return "", fmt.Errorf("second PING %s: %w", c.where(), err)
	}
	steady := c.o.Now().Sub(start)
	detail := fmt.Sprintf("PONG in %s (the first, with connecting: %s)", round(steady), round(first))
	if steady > c.cfg.Timeout {
		return "", fmt.Errorf("PONG took %s, more than redis.timeout (%s): budget calls would time out", round(steady), c.cfg.Timeout)
	}
	return detail, nil
}

// round keeps three significant figures or so, which is all a latency reading is worth.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
