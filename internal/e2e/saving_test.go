package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
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
		rs = append(rs, startReplica(t, fmt.Sprintf(`
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
`, redisSrv.URL(), n, sbURL, cacheTTL, routesDoc, sum), nil))
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

// The mix, per run (three replicas, 4 s):
//   - 30 services start within the same second and each lists groups and users once;
//   - 10 dashboards poll the user list every 500 ms;
//   - one service reads a user, updates it and reads it again, every second.
func runMix(t *testing.T, cacheTTL time.Duration, coalesce bool) (points int64) {
	sb, rs, key := savingFleet(t, 3, cacheTTL, coalesce)
	var wg sync.WaitGroup
	stop := time.Now().Add(4 * time.Second)
	for s := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(s) * 30 * time.Millisecond)
			call(t, rs[s%3].base, "GET", "/api/v2/groups", key)
			call(t, rs[s%3].base, "GET", "/api/v2/users", key)
		}()
	}
	for d := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				call(t, rs[d%3].base, "GET", "/api/v2/users", key)
				time.Sleep(500 * time.Millisecond)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for time.Now().Before(stop) {
			call(t, rs[0].base, "GET", "/api/v2/users/u7", key)
			call(t, rs[1].base, "PATCH", "/api/v2/users/u7", key)
			call(t, rs[2].base, "GET", "/api/v2/users/u7", key)
			time.Sleep(time.Second)
		}
	}()
	wg.Wait()
	for _, a := range sb.Arrivals() {
		points += a.Cost
	}
	return points
}

func TestSavingOnARealisticMix(t *testing.T) {
	without := runMix(t, 0, false)
	coalesced := runMix(t, 0, true)
	cached := runMix(t, 2*time.Second, true)
	t.Logf("points spent: %d without sharing, %d with coalescing (%.0f%% saved), %d with coalescing and a 2 s cache (%.0f%% saved)",
		without, coalesced, 100*(1-float64(coalesced)/float64(without)), cached, 100*(1-float64(cached)/float64(without)))
	if coalesced >= without || cached >= coalesced {
		t.Fatalf("sharing saved nothing: %d, %d, %d points", without, coalesced, cached)
	}
}
