package proxy_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// probeUpstream answers Retool's version probe and remembers the headers of every
// request it received, so a test can prove what reached it.
type probeUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func startProbeUpstream(t *testing.T) *probeUpstream {
	t.Helper()
	u := &probeUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.seen = append(u.seen, r.Clone(r.Context()))
		u.mu.Unlock()
		if r.URL.Path != "/api/checkHealth" {
			http.Error(w, `{"success":false,"message":"not found"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"version":"3.300.0","status":"HEALTHY"}`)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *probeUpstream) requests() []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*http.Request(nil), u.seen...)
}

func TestTheHealthProbeIsForwardedWithoutAnyCredentialsOrPoints(t *testing.T) {
	t.Parallel()
	up := startProbeUpstream(t)
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: up.URL})

	// A client that sends its key (and a cookie) anyway: neither may reach the upstream.
	req := gw.NewRequest(t, http.MethodGet, "/api/checkHealth", nil)
	req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
	req.Header.Set("Cookie", "session=secret-cookie")
	first := gw.Do(t, req)
	if first.Status != http.StatusOK || !strings.Contains(string(first.Body), `"version":"3.300.0"`) {
		t.Fatalf("GET /api/checkHealth with a key: %d %s, want the upstream's 200", first.Status, first.Body)
	}
	// Terraform's provider sends no key at all.
	second := gw.Call(t, http.MethodGet, "/api/checkHealth", "", nil)
	if second.Status != http.StatusOK || second.Header.Get("X-Gateway-Cache") != "hit" {
		t.Fatalf("GET /api/checkHealth without a key: %d (cache %q) %s, want 200 from the cache", second.Status, second.Header.Get("X-Gateway-Cache"), second.Body)
	}
	head := gw.Call(t, http.MethodHead, "/api/checkHealth", "", nil)
	if head.Status != http.StatusOK || len(head.Body) != 0 {
		t.Fatalf("HEAD /api/checkHealth: %d %q, want 200 without a body", head.Status, head.Body)
	}

	seen := up.requests()
	if len(seen) != 2 { // the first GET and the HEAD; the second GET was cached
		t.Fatalf("the upstream saw %d requests, want 2 (one GET, then the cache, then one HEAD)", len(seen))
	}
	for _, r := range seen {
		for _, h := range []string{"Authorization", "Cookie", "X-Forwarded-For"} {
			if v := r.Header.Get(h); v != "" {
				t.Errorf("the upstream received %s: %q; a public row carries no credentials", h, v)
			}
		}
		for name, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, gw.OrgToken) || strings.Contains(v, gw.Keys[proxytest.Reader].Secret()) {
					t.Errorf("the upstream received a secret in %s", name)
				}
			}
		}
		if r.Header.Get("X-Request-Id") == "" {
			t.Error("the probe was forwarded without its request id")
		}
	}
	if got := gw.Metric(t, "gateway_budget_points_admitted_total"); got != 0 {
		t.Errorf("probes spent %v points, want none", got)
	}
	if got := gw.Metric(t, "gateway_requests_total", "route", "health", "caller", "none", "code", "2xx"); got != 3 {
		t.Errorf("gateway_requests_total{route=health,caller=none,code=2xx} = %v, want 3", got)
	}
	line := gw.Logs.AwaitAccessLine(t, first.Header.Get("X-Request-Id")).ContextMap()
	if line["route"] != "GET /api/checkHealth" || line["caller"] != "none" || line["cost"] != int64(0) || line["outcome"] != "forwarded" {
		t.Errorf("access line %v, want route GET /api/checkHealth, caller none, cost 0, outcome forwarded", line)
	}
	if strings.Contains(gw.Logs.Text(), gw.Keys[proxytest.Reader].Secret()) {
		t.Error("the caller key's secret reached the log")
	}
}

func TestOnlyPublicRowsGoWithoutAKey(t *testing.T) {
	t.Parallel()
	up := startProbeUpstream(t)
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: up.URL})
	cases := []struct{ method, path string }{
		{http.MethodPost, "/api/checkHealth"}, // a write to the probe's path is no probe
		{http.MethodGet, "/api/v2/users"},
		{http.MethodGet, "/api/checkhealth/extra"},
	}
	for _, c := range cases {
		a := gw.Call(t, c.method, c.path, "", nil)
		if a.Status != http.StatusUnauthorized || a.Problem(t).Type != "urn:budgetgw:problem:key-missing" {
			t.Errorf("%s %s without a key: %d %s, want 401 key-missing", c.method, c.path, a.Status, a.Body)
		}
	}
	if n := len(up.requests()); n != 0 {
		t.Fatalf("the upstream saw %d requests; refused ones must not reach it", n)
	}
}

func TestHealthProbesAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	up := startProbeUpstream(t)
	cfg := fmt.Sprintf(`
server: {listen: "127.0.0.1:0", auth_failure_limit: 3}
upstreams:
  - name: retool
    base_url: %q
    profile: retool-v2
    auth: {token_file: %q}
    spec: {enabled: false}
`, up.URL, proxytest.SecretFile(t, "org-token"))
	gw := proxytest.Start(t, proxytest.Options{Config: cfg})
	// Only probes that reach the upstream count: each distinct query misses the cache.
	for i := range 3 {
		if a := gw.Call(t, http.MethodGet, fmt.Sprintf("/api/checkHealth?n=%d", i), "", nil); a.Status != http.StatusOK {
			t.Fatalf("probe %d: %d %s, want 200", i+1, a.Status, a.Body)
		}
	}
	for range 5 { // answered from the cache: free, never counted, never refused
		if a := gw.Call(t, http.MethodGet, "/api/checkHealth?n=0", "", nil); a.Status != http.StatusOK {
			t.Fatalf("a cached probe: %d %s, want 200", a.Status, a.Body)
		}
	}
	a := gw.Call(t, http.MethodGet, "/api/checkHealth?n=3", "", nil)
	if a.Status != http.StatusTooManyRequests || a.Problem(t).Type != "urn:budgetgw:problem:public-throttled" || a.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth probe to reach the upstream in a minute: %d %s, want 429 public-throttled with Retry-After", a.Status, a.Body)
	}
	if c := gw.Call(t, http.MethodGet, "/api/checkHealth?n=1", "", nil); c.Status != http.StatusOK {
		t.Errorf("a cached probe after the limit: %d %s, want 200 from the cache", c.Status, c.Body)
	}
	for _, e := range gw.Logs.AccessLines() {
		if e.ContextMap()["request_id"] == a.Header.Get("X-Request-Id") {
			t.Error("a throttled probe got an access-log line; they are counted in metrics only")
		}
	}
	if n := len(up.requests()); n != 3 {
		t.Errorf("the upstream saw %d probes, want 3 (the rest from the cache or refused)", n)
	}
}
