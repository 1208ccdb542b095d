package status_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/status"
	"github.com/budgetgw/gateway/internal/testutil"
)

// knownTraffic sends calls whose effect on the budget is known: reader spends on three
// reads, writer on one write, capped is admitted once and refused once by its own cap.
func knownTraffic(t *testing.T, gw *proxytest.Retool) {
	t.Helper()
	for _, c := range []struct {
		key, method, path string
		want              int
	}{
		{proxytest.Reader, "GET", "/api/v2/users", 200},
		{proxytest.Reader, "GET", "/api/v2/users/1", 200},
		{proxytest.Reader, "GET", "/api/v2/users/2", 200},
		{proxytest.Writer, "POST", "/api/v2/groups", 200},
		{proxytest.Capped, "GET", "/api/v2/users", 200},
		{proxytest.Capped, "GET", "/api/v2/users", 429},
	} {
		var body io.Reader
		if c.method == "POST" {
			body = strings.NewReader(`{"name":"status-test"}`)
		}
		if got := gw.Call(t, c.method, c.path, gw.Key(c.key), body); got.Status/100 != c.want/100 {
			t.Fatalf("%s %s as %s: %d, want %d: %s", c.method, c.path, c.key, got.Status, c.want, got.Body)
		}
	}
}

// startRetool runs the fixture on a minute-long window, so nothing leaves the window while
// a test compares numbers.
func startRetool(t *testing.T) *proxytest.Retool {
	return proxytest.StartRetool(t, proxytest.RetoolOptions{Capacity: 300, Window: time.Minute})
}

func getJSON(t *testing.T, url string) status.Snapshot {
	t.Helper()
	resp, err := http.Get(url + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var s status.Snapshot
	dec := json.NewDecoder(resp.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStatusJSONShowsWhatTheMetricsShowAfterKnownTraffic(t *testing.T) {
	t.Parallel()
	gw := startRetool(t)
	knownTraffic(t, gw)
	s := getJSON(t, gw.AdminURL)

	if len(s.Budgets) != 1 {
		t.Fatalf("%d budgets, want 1: %+v", len(s.Budgets), s.Budgets)
	}
	b := s.Budgets[0]
	if want := gw.Metric(t, "gateway_budget_points_used", "budget", b.Name); float64(b.Used) != want || want == 0 {
		t.Errorf("used %d, metric %v", b.Used, want)
	}
	if b.Capacity != 300 || b.WindowSeconds != 60 || b.Waiters != 0 || b.LockedForSeconds != 0 || b.Error != "" {
		t.Errorf("budget %+v", b)
	}
	inWindow := map[string]int64{}
	for _, c := range b.ByCaller {
		inWindow[c.Caller] = c.Points
	}
	callers := map[string]status.Caller{}
	for _, c := range s.Callers {
		callers[c.Name] = c
	}
	for _, name := range []string{"reader", "writer", "capped"} {
		admitted := gw.Metric(t, "gateway_budget_points_admitted_total", "caller", name)
		if admitted == 0 || callers[name].PointsAdmitted != admitted || float64(inWindow[name]) != admitted {
			t.Errorf("caller %s: in window %d, admitted %v; metric %v", name, inWindow[name], callers[name].PointsAdmitted, admitted)
		}
	}
	if callers["capped"].Refused != 1 {
		t.Errorf("capped refused %v, want 1", callers["capped"].Refused)
	}
	if len(s.Refusals) != 1 || s.Refusals[0] != (status.Count{Upstream: "retool", Reason: "caller_cap", Count: 1}) {
		t.Errorf("refusals %+v, want one caller_cap", s.Refusals)
	}
	if s.Store.Kind != "memory" || s.Store.State != "local" || len(s.Store.Degraded) != 0 {
		t.Errorf("store %+v, want memory/local", s.Store)
	}
	if s.Config.LastReload != nil || s.RefreshSeconds <= 0 {
		t.Errorf("config %+v refresh %v", s.Config, s.RefreshSeconds)
	}
	// The sampler takes one as it starts, on its own goroutine: on a loaded machine the
	// reads above may come first.
	for deadline := time.Now().Add(10 * time.Second); len(b.History) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no history sample 10 s after start: the sampler takes one as it starts")
		}
		time.Sleep(20 * time.Millisecond)
		b = getJSON(t, gw.AdminURL).Budgets[0]
	}
}

func TestStatusJSONRecordsTheLastReload(t *testing.T) {
	t.Parallel()
	gw := startRetool(t)
	if err := gw.App.Reload(gw.Config); err != nil {
		t.Fatal(err)
	}
	s := getJSON(t, gw.AdminURL)
	if r := s.Config.LastReload; r == nil || r.Result != "applied" || s.Config.Applied != 1 || !s.Config.LoadedAt.Equal(r.At) {
		t.Errorf("config %+v, last reload %+v: want one applied reload, in force since then", s.Config, r)
	}
}

func TestStatusPageServesNoSecretAndLoadsOnlyItsOwnAssets(t *testing.T) {
	t.Parallel()
	gw := startRetool(t)
	knownTraffic(t, gw)
	secrets := []string{gw.OrgToken}
	for _, k := range gw.Keys {
		secrets = append(secrets, k.Raw, k.SHA256)
	}
	for _, path := range []string{"/", "/status", "/status.json", "/status/assets/status.js", "/status/assets/status.css"} {
		resp, err := http.Get(gw.AdminURL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
			continue
		}
		for _, s := range secrets {
			if strings.Contains(string(body), s) {
				t.Errorf("%s serves a secret", path)
			}
		}
		if strings.Contains(string(body), "://") && path != "/status/assets/status.js" {
			t.Errorf("%s names another origin: %s", path, body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); path != "/status/assets/status.js" && path != "/status/assets/status.css" && !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
	resp, err := http.Post(gw.AdminURL+"/status.json", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /status.json: %d, want 405 (the page is read-only)", resp.StatusCode)
	}
}

func TestStatusJSONCountsALockoutDown(t *testing.T) {
	t.Parallel()
	// The upstream allows 2 points a minute: the second 2-point read draws its 429 and
	// the gateway locks the org out for the upstream's 30 s.
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{Capacity: 300, Window: time.Minute,
		UpstreamCapacity: 2, UpstreamWindow: time.Minute, UpstreamLockout: 30 * time.Second})
	gw.Call(t, "GET", "/api/v2/users/1", gw.Key(proxytest.Reader), nil)
	if r := gw.Call(t, "GET", "/api/v2/users/2", gw.Key(proxytest.Reader), nil); r.Status != 429 {
		t.Fatalf("second read: %d, want the upstream's 429", r.Status)
	}
	b := getJSON(t, gw.AdminURL).Budgets[0]
	if b.LockedForSeconds <= 0 || b.LockedForSeconds > 60 || gw.Metric(t, "gateway_lockout_active", "budget", b.Name) != 1 {
		t.Errorf("locked_for_seconds %v, gateway_lockout_active %v: want a countdown while the metric says locked",
			b.LockedForSeconds, gw.Metric(t, "gateway_lockout_active", "budget", b.Name))
	}
}

func TestStatusJSONShowsTheRedisStoreAndItsOutage(t *testing.T) {
	t.Parallel()
	redis := testutil.StartRedis(t)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[]}`))
	}))
	t.Cleanup(upstream.Close)
	key := proxytest.NewKey("status-1")
	gw := proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
server: {listen: "127.0.0.1:0"}
redis: {url: %q, replicas: 2, timeout: 100ms}
upstreams:
  - name: retool
    mount: /
    base_url: %q
    profile: retool-v2
    auth: {scheme: bearer, token_file: %q}
    budget: {capacity: 300, window: 60s}
callers:
  - name: status
    scopes: ["*:read"]
    keys: [{id: status-1, sha256: %q}]
`, redis.URL(), upstream.URL, proxytest.SecretFile(t, "retool_org_status_test"), key.SHA256)})
	if r := gw.Call(t, "GET", "/api/v2/users", key.Raw, nil); r.Status != 200 {
		t.Fatalf("call: %d %s", r.Status, r.Body)
	}
	if s := getJSON(t, gw.AdminURL).Store; s.Kind != "redis" || s.State != "shared" || len(s.Degraded) != 0 {
		t.Errorf("store %+v with Redis up, want redis/shared", s)
	}
	redis.Kill()
	// The next call finds Redis gone and runs on this replica's share.
	gw.Call(t, "GET", "/api/v2/users", key.Raw, nil)
	snap := getJSON(t, gw.AdminURL)
	// While degraded the store reports this replica's own estimate (the failover keeps
	// gateway_budget_points_used alive), so the numbers stay and no error is shown.
	if b := snap.Budgets[0]; !b.Degraded || b.Used < 2 || b.Error != "" {
		t.Errorf("budget %+v with Redis down: want degraded, with this replica's estimate of the points in use", b)
	}
	s := snap.Store
	if s.State != "degraded" || len(s.Degraded) != 1 || gw.Metric(t, "gateway_store_degraded", "upstream", "retool") != 1 {
		t.Errorf("store %+v with Redis down, gateway_store_degraded %v: want degraded, naming the budget", s,
			gw.Metric(t, "gateway_store_degraded", "upstream", "retool"))
	}
}
