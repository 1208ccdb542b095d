package deploy

import (
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// A live scrape, taken after traffic of every kind (admitted, waited, refused, locked
// out, denied), must pass promtool's own lint: names, units, types and help.
func TestPromtoolAcceptsALiveScrapeAfterMixedTraffic(t *testing.T) {
	promtool := tool(t, "promtool")
	// The upstream is stricter than the gateway believes, so it answers 429 and the
	// gateway locks out: every series gets a value.
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{Capacity: 20, Window: time.Second, MaxWait: 300 * time.Millisecond, UpstreamCapacity: 12})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Distinct queries: identical reads would be coalesced into one call.
			g.Call(t, "GET", fmt.Sprintf("/api/v2/users?page=%d", i), g.Key(proxytest.Reader), nil)
		}()
	}
	wg.Wait()
	g.Call(t, "GET", "/api/v2/groups", g.Key(proxytest.Reader), nil)        // 403
	g.Call(t, "GET", "/api/v2/users", "gwk_nope_nope", nil)                 // 401
	g.Call(t, "GET", "/api/v2/users", g.Key(proxytest.ReaderDisabled), nil) // 423
	for _, name := range []string{"gateway_budget_rejections_total", "gateway_upstream_rate_limited_total", "gateway_budget_wait_seconds", "gateway_scope_denials_total", "gateway_auth_failures_total"} {
		if g.Metric(t, name) < 1 {
			t.Fatalf("%s is 0: the traffic did not reach every path", name)
		}
	}
	resp, err := http.Get(g.AdminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var scrape bytes.Buffer
	if _, err := scrape.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = &scrape
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
