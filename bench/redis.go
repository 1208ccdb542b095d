package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a private, empty, non-persistent redis-server on a free loopback port,
// started the way internal/testutil starts one for tests.
type redisServer struct {
	*proc
	addr   string
	client *redis.Client
}

func startRedis(dir string) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not on PATH (apt-get install redis-server): %w", err)
	}
	port := freePort()
	p, err := startProc("redis", filepath.Join(dir, "redis.log"), bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err != nil {
		return nil, err
	}
	r := &redisServer{proc: p, addr: "127.0.0.1:" + strconv.Itoa(port)}
	r.client = redis.NewClient(&redis.Options{Addr: r.addr})
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if r.client.Ping(ctx).Err() == nil {
			return r, nil
		}
	}
	p.stop(time.Second)
	return nil, fmt.Errorf("redis-server on %s did not answer PING", r.addr)
}

func (r *redisServer) url() string { return "redis://" + r.addr + "/0" }

// flush empties the server between scenarios.
func (r *redisServer) flush() error { return r.client.FlushAll(context.Background()).Err() }

// version is the server's version string.
func (r *redisServer) version() string {
	info, err := r.client.Info(context.Background(), "server").Result()
	if err != nil {
		return "?"
	}
	_, v, _ := strings.Cut(info, "redis_version:")
	v, _, _ = strings.Cut(v, "\r")
	return v
}

// commandCalls reads INFO commandstats: calls per command. The INFO calls the harness
// makes itself are left out.
func (r *redisServer) commandCalls() (map[string]int64, error) {
	info, err := r.client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "cmdstat_")
		if name == "info" {
			continue
		}
		n, _, _ := strings.Cut(rest, ",")
		out[name], _ = strconv.ParseInt(n, 10, 64)
	}
	return out, nil
}

// callsBetween is after minus before, command by command, and the total.
func callsBetween(before, after map[string]int64) (map[string]int64, int64) {
	diff := map[string]int64{}
	var total int64
	for name, n := range after {
		if d := n - before[name]; d > 0 {
			diff[name] = d
			total += d
		}
	}
	return diff, total
}
