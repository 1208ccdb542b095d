package proxy_test

import (
	"net/http"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// The request metrics are resolved once per (upstream, route, caller) and reused; a new
// keyring (a key minted, a caller added) starts afresh, and the counts carry on in the
// same series by name.
func TestRequestMetricsCarryOnAcrossANewKeyring(t *testing.T) {
	t.Parallel()
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{})
	call := func() {
		t.Helper()
		if a := gw.Call(t, http.MethodGet, "/api/v2/users", gw.Key(proxytest.Reader), nil); a.Status != http.StatusOK {
			t.Fatalf("status %d: %s", a.Status, a.Body)
		}
	}
	call()
	call()
	g := gw.App.Gateway()
	g.SetKeyring(g.Keyring())
	call()
	if a := gw.Call(t, http.MethodGet, "/api/v2/users", "", nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("status %d without a key, want 401", a.Status)
	}

	if n := gw.Metric(t, "gateway_requests_total", "caller", "reader", "code", "2xx"); n != 3 {
		t.Errorf("gateway_requests_total{caller=reader,code=2xx} = %v, want 3", n)
	}
	if n := gw.Metric(t, "gateway_requests_total", "caller", "none", "code", "4xx"); n != 1 {
		t.Errorf("gateway_requests_total{caller=none,code=4xx} = %v, want 1", n)
	}
	if n := gw.Metric(t, "gateway_budget_points_admitted_total", "caller", "reader"); n != 6 {
		t.Errorf("gateway_budget_points_admitted_total{caller=reader} = %v, want 6", n)
	}
}
