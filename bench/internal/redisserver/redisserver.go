// Package redisserver runs a private, empty, non-persistent redis-server for the harness
// on a free loopback port (the way internal/testutil starts one for tests) and reads its
// INFO: the server's version and calls per command.
//
// It never touches a Redis it did not start, never persists anything (--save "",
// --appendonly no), and never counts the INFO calls it makes itself.
package redisserver

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/bench/internal/proc"
)

// Server is a private, empty, non-persistent redis-server on a free loopback port.
type Server struct {
	*proc.Proc
	Addr   string
	client *redis.Client
}

// Start runs redis-server with its working directory (and log) in dir, and waits until
// it answers PING.
func Start(dir string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not on PATH (apt-get install redis-server): %w", err)
	}
	port := proc.FreePort()
	p, err := proc.Start("redis", filepath.Join(dir, "redis.log"), bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err != nil {
		return nil, err
	}
	r := &Server{Proc: p, Addr: "127.0.0.1:" + strconv.Itoa(port)}
	r.client = redis.NewClient(&redis.Options{Addr: r.Addr})
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if r.client.Ping(ctx).Err() == nil {
			return r, nil
		}
	}
	p.Stop(time.Second)
	return nil, fmt.Errorf("redis-server on %s did not answer PING", r.Addr)
}

// URL is the server's redis:// URL (database 0).
func (r *Server) URL() string { return "redis://" + r.Addr + "/0" }

// Flush empties the server between scenarios.
func (r *Server) Flush() error { return r.client.FlushAll(context.Background()).Err() }

// Version is the server's version string.
func (r *Server) Version() string {
	info, err := r.client.Info(context.Background(), "server").Result()
	if err != nil {
		return "?"
	}
	_, v, _ := strings.Cut(info, "redis_version:")
	v, _, _ = strings.Cut(v, "\r")
	return v
}

// CommandCalls reads INFO commandstats: calls per command. The INFO calls the harness
// makes itself are left out.
func (r *Server) CommandCalls() (map[string]int64, error) {
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

// CallsBetween is after minus before, command by command, and the total.
func CallsBetween(before, after map[string]int64) (map[string]int64, int64) {
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
