package preflight

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/sandbox"
)

// orgTokenEnv is where the test configs read the org token from.
const orgTokenEnv = "PREFLIGHT_TEST_ORG_TOKEN"

func parseConfig(t *testing.T, doc string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("test config is invalid: %v\n%s", err, doc)
	}
	return cfg
}

// upstreamConfig is a one-upstream configuration for profile at baseURL; extra is
// appended to the upstream's entry (indented by four spaces).
func upstreamConfig(t *testing.T, baseURL, profile, extra string) *config.Config {
	t.Helper()
	auth := fmt.Sprintf("{scheme: bearer, token_env: %s}", orgTokenEnv)
	if profile == "retable-v1" {
		auth = fmt.Sprintf("{scheme: header, header: ApiKey, token_env: %s}", orgTokenEnv)
	}
	return parseConfig(t, fmt.Sprintf(`
upstreams:
  - name: up
    base_url: %q
    profile: %s
    auth: %s
%s`, baseURL, profile, auth, extra))
}

// simulated returns a simulated upstream for profile that accepts token and charges what
// the profile's route table says.
func simulated(t *testing.T, profile, token string) *sandbox.Server {
	t.Helper()
	table, err := routes.Build(profile, profile, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := table.Profile()
	o := sandbox.Options{Token: token, Capacity: p.Budget.Capacity, Window: p.Budget.Window, Lockout: p.Budget.Lockout, Seed: 1}
	if p.Auth.Scheme == "header" {
		o.Header = p.Auth.Header
	}
	o.UseRoutes(table)
	return sandbox.New(o)
}

// closedAddr is a loopback address nothing listens on (something did a moment ago).
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// journal is an Observer that writes down what it hears, in order, beside whatever else
// the test writes down (an upstream's arrivals), so tests can prove what came first.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, s)
}

func (j *journal) lines() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.entries...)
}

func (j *journal) Target(t *Target)        { j.add("target " + t.Name) }
func (j *journal) Step(_ *Target, s *Step) { j.add("plan " + s.Name + ": " + s.Plan) }
func (j *journal) Done(_ *Target, s *Step, r Result) {
	j.add(fmt.Sprintf("done %s err=%v skipped=%v", s.Name, r.Err, r.Skipped))
}

// stepResult finds the result of one step.
func stepResult(t *testing.T, rep Report, step string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Step == step {
			return r
		}
	}
	t.Fatalf("no %s step in %+v", step, rep.Results)
	return Result{}
}

// startRedis runs a redis-server of the test's own on a free port, without persistence,
// and stops it when the test ends. It skips when redis-server is missing, except in CI.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not on PATH; CI must install it")
		}
		t.Skip("redis-server is not on PATH")
	}
	addr := closedAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	ready, exited := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { cancel(); <-exited; _ = cmd.Wait() })
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() { // read to the end so the server never blocks on its log
			if !signalled && strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				signalled = true
			}
		}
	}()
	select {
	case <-ready:
	case <-exited:
		t.Fatal("redis-server exited before it was ready")
	case <-time.After(10 * time.Second):
		t.Fatal("redis-server did not become ready in 10s")
	}
	return addr
}
