package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/sandbox"
)

// savingFleet is n replicas on one Redis (cache on) in front of a sandbox.
func savingFleet(t *testing.T, n int, cacheTTL time.Duration, coalesce bool) (*sandbox.Server, []*replica, string) {
	t.Helper()
	redisSrv := startRedis(t)
	token := "org-token-saving-4c2d"
	sb, sbURL := proxytest.StartSandbox(t, sandbox.Options{Token: token, Latency: [2]time.Duration{20 * time.Millisecond, 40 * time.Millisecond}, Seed: 3}, "retool-v2")
	t.Setenv("E2E_SAVING_TOKEN", token)
	key, sum := auth.NewKey("saver-1")
	routesDoc := ""
	if !coalesce {
		routesDoc = `routes: [{method: GET, path: /api/v2/users, family: users, scope: users:read, coalesce: false}, {method: GET, path: /api/v2/groups, family: groups, scope: groups:read, coalesce: false}, {method: GET, path: "/api/v2/users/{userId}", family: users, scope: users:read, coalesce: false}]`
	}
	var rs []*replica
	for range n {
		rs = append(rs, startReplica(t, savingConfig(redisSrv.URL(), n, sbURL, cacheTTL.String(), routesDoc, sum, ""), nil))
	}
	return sb, rs, key.Reveal()
}

func call(t *testing.T, base, method, path, key string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(`{"first_name":"x"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestAWriteOnOneReplicaInvalidatesTheCacheOnEvery(t *testing.T) {
	sb, rs, key := savingFleet(t, 2, time.Hour, true)
	for _, r := range rs {
		call(t, r.base, "GET", "/api/v2/users/u1", key)
		// A read sent the instant the first answer arrives may still follow the first
		// call's closing flight (coalesced, just as free); once it closed, reads hit.
		eventually(t, time.Second, "a repeated read is served from the cache", func() bool {
			return call(t, r.base, "GET", "/api/v2/users/u1", key).Header.Get("X-Gateway-Cache") == "hit"
		})
	}
	before := len(sb.Arrivals())
	if s := call(t, rs[0].base, "PATCH", "/api/v2/users/u1", key).StatusCode; s >= 300 {
		t.Fatalf("patch: %d", s)
	}
	eventually(t, time.Second, "the other replica forgets the cached read", func() bool {
		return call(t, rs[1].base, "GET", "/api/v2/users/u1", key).Header.Get("X-Gateway-Cache") != "hit"
	})
	if got := call(t, rs[0].base, "GET", "/api/v2/users/u1", key).Header.Get("X-Gateway-Cache"); got == "hit" {
		t.Fatal("the writing replica still served its cached read")
	}
	if after := len(sb.Arrivals()); after < before+2 {
		t.Fatalf("%d upstream calls after the write; want the write and fresh reads", after-before)
	}
}

// The mix is the one docs/architecture.md quotes, in logical time so that it spends the
// same points on any machine (500 ms ticks, 4 s, through three replicas):
//   - 30 services start together and each lists groups, then users, once;
//   - 10 dashboards list users every tick (8 ticks);
//   - every second (even ticks, after the dashboards) one service reads a user on one
//     replica, updates it on another and reads it again on the third.
//
// Concurrent calls are held at the upstream until every one of them is parked (held
// there, following an identical read in flight, or answered), so which reads share a
// flight is decided by the mix, not by the scheduler. After each write the test waits
// until every replica has forgotten the cached reads (a refused probe: no points).
// The cache TTL is longer than the run: in this mix every write forgets the lists
// within a second, before the 2 s TTL the docs name could expire them, so the TTL
// changes nothing except on a machine slow enough to stretch the run.
const (
	mixServices   = 30
	mixDashboards = 10
	mixTicks      = 8
)

// heldUpstream holds every call while armed, until open.
type heldUpstream struct {
	next http.Handler
	mu   sync.Mutex
	gate chan struct{} // nil: calls pass
	held atomic.Int64
}

func (h *heldUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	gate := h.gate
	h.mu.Unlock()
	if gate != nil {
		h.held.Add(1)
		<-gate
		h.held.Add(-1)
	}
	h.next.ServeHTTP(w, r)
}

func (h *heldUpstream) arm() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gate = make(chan struct{})
}

func (h *heldUpstream) open() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.gate)
	h.gate = nil
}

type mixFleet struct {
	up       *heldUpstream
	sb       *sandbox.Server
	replicas []*proxytest.Gateway
	key      string // caller svc: every scope
	probe    string // caller probe: users:read, max_points 1, so every miss is refused
}

func startMixFleet(t *testing.T, coalesce, cache bool) *mixFleet {
	t.Helper()
	redisSrv := startRedis(t)
	token := "org-token-saving-4c2d"
	o := sandbox.Options{Token: token, Seed: 3}
	o.UseRoutes(proxytest.Table(t, "retool-v2"))
	f := &mixFleet{sb: sandbox.New(o)}
	f.up = &heldUpstream{next: f.sb}
	srv := httptest.NewServer(f.up)
	t.Cleanup(srv.Close)
	t.Setenv("E2E_SAVING_TOKEN", token)
	key, sum := auth.NewKey("saver-1")
	probe, probeSum := auth.NewKey("probe-1")
	f.key, f.probe = key.Reveal(), probe.Reveal()
	routesDoc := ""
	if !coalesce {
		routesDoc = `routes: [{method: GET, path: /api/v2/users, family: users, scope: users:read, coalesce: false}, {method: GET, path: /api/v2/groups, family: groups, scope: groups:read, coalesce: false}, {method: GET, path: "/api/v2/users/{userId}", family: users, scope: users:read, coalesce: false}]`
	}
	ttl := "0s"
	if cache {
		ttl = "1h"
	}
	for range 3 {
		probe := fmt.Sprintf("  - {name: probe, scopes: [users:read], max_points: 1, keys: [{id: probe-1, sha256: %q}]}\n", probeSum)
		f.replicas = append(f.replicas, proxytest.Start(t, proxytest.Options{Config: savingConfig(redisSrv.URL(), 3, srv.URL, ttl, routesDoc, sum, probe)}))
	}
	return f
}

// mixCall is one read of a burst, sent to one replica.
type mixCall struct {
	replica int
	path    string
}

// burst sends the calls at once and waits for all of them: held at the upstream until each
// is parked, then released together.
func (f *mixFleet) burst(t *testing.T, calls []mixCall) {
	t.Helper()
	f.up.arm()
	var done atomic.Int64
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer done.Add(1)
			call(t, f.replicas[c.replica].URL, "GET", c.path, f.key)
		}()
	}
	settleUntil(t, "every call of the burst parked", 30*time.Second, func() bool {
		waiting := 0.0
		for _, g := range f.replicas {
			waiting += g.Metric(t, "gateway_coalesced_waiters")
		}
		return done.Load()+f.up.held.Load()+int64(waiting) == int64(len(calls))
	})
	f.up.open()
	wg.Wait()
}

// forgotten waits until no replica serves a cached answer for any of paths.
func (f *mixFleet) forgotten(t *testing.T, paths ...string) {
	t.Helper()
	settleUntil(t, "every replica forgot the written reads", 30*time.Second, func() bool {
		for _, g := range f.replicas {
			for _, p := range paths {
				if call(t, g.URL, "GET", p, f.probe).Header.Get("X-Gateway-Cache") == "hit" {
					return false
				}
			}
		}
		return true
	})
}

func runMix(t *testing.T, coalesce, cache bool) (points int64) {
	f := startMixFleet(t, coalesce, cache)
	for _, path := range []string{"/api/v2/groups", "/api/v2/users"} {
		var calls []mixCall
		for s := range mixServices {
			calls = append(calls, mixCall{s % 3, path})
		}
		f.burst(t, calls)
	}
	for tick := range mixTicks {
		var calls []mixCall
		for d := range mixDashboards {
			calls = append(calls, mixCall{d % 3, "/api/v2/users"})
		}
		f.burst(t, calls)
		if tick%2 == 0 {
			call(t, f.replicas[0].URL, "GET", "/api/v2/users/u7", f.key)
			if s := call(t, f.replicas[1].URL, "PATCH", "/api/v2/users/u7", f.key).StatusCode; s >= 300 {
				t.Fatalf("the update answered %d", s)
			}
			f.forgotten(t, "/api/v2/users/u7", "/api/v2/users")
			call(t, f.replicas[2].URL, "GET", "/api/v2/users/u7", f.key)
		}
	}
	for _, a := range f.sb.Arrivals() {
		points += a.Cost
	}
	return points
}

// What docs/architecture.md and the README quote for the mix. The mix is deterministic
// (these counts are exact: 394, 93 and 69 points); the saving is asserted within
// savingTolerance percentage points, about four points spent, so one stray call does not
// fail the test but any change in how reads are shared does, and must update the docs.
const (
	quotedWithout      = 394
	quotedCoalescedPct = 76.0 // % saved by coalescing
	quotedCachedPct    = 82.0 // % saved by coalescing and the cache
	savingTolerance    = 1.0  // percentage points
)

func TestSavingOnARealisticMix(t *testing.T) {
	without := runMix(t, false, false)
	coalesced := runMix(t, true, false)
	cached := runMix(t, true, true)
	saved := func(p int64) float64 { return 100 * (1 - float64(p)/float64(without)) }
	t.Logf("points spent: %d without sharing, %d with coalescing (%.1f%% saved), %d with coalescing and a cache (%.1f%% saved)",
		without, coalesced, saved(coalesced), cached, saved(cached))
	if without != quotedWithout {
		t.Errorf("without sharing the mix spent %d points; the docs quote %d (every call reaches the upstream: the mix changed)", without, quotedWithout)
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{{"coalescing", saved(coalesced), quotedCoalescedPct}, {"coalescing and a cache", saved(cached), quotedCachedPct}} {
		if c.got < c.want-savingTolerance || c.got > c.want+savingTolerance {
			t.Errorf("%s saved %.1f%%; the docs quote %.0f%% (±%.0f)", c.what, c.got, c.want, savingTolerance)
		}
	}
}

// savingConfig is a replica of the saving fleets: n replicas on one Redis, one upstream at
// base with the given cache TTL and route overrides, the caller svc (key sum) and any
// further caller lines.
func savingConfig(redisURL string, n int, base, ttl, routesDoc, sum, moreCallers string) string {
	return fmt.Sprintf(`
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0", shutdown_grace: 1s}
redis: {url: %q, replicas: %d}
upstreams:
  - name: retool
    base_url: %q
    profile: retool-v2
    auth: {token_env: E2E_SAVING_TOKEN}
    spec: {enabled: false}
    cache: {ttl: %s}
    budget: {capacity: 100000}
    %s
callers:
  - {name: svc, scopes: ["*"], keys: [{id: saver-1, sha256: %q}]}
%s`, redisURL, n, base, ttl, routesDoc, sum, moreCallers)
}
