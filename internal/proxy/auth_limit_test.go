package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
)

func TestRepeatedAuthFailuresFromOneAddressAreRefusedUnlogged(t *testing.T) {
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{})
	call := func(addr, key string) int {
		req := httptest.NewRequest("GET", "/api/v2/users", nil)
		req.RemoteAddr = addr
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		g.Handler.ServeHTTP(rec, req)
		return rec.Code
	}
	const noisy, other = "198.51.100.7:40000", "198.51.100.8:40000"
	for i := range 30 {
		if s := call(noisy, "gwk_nope_wrongsecret"); s != http.StatusUnauthorized {
			t.Fatalf("failure %d answered %d; want 401 until the limit", i+1, s)
		}
	}
	before := len(g.Logs.AccessLines())
	for range 100 {
		if s := call(noisy, "gwk_nope_wrongsecret"); s != http.StatusTooManyRequests {
			t.Fatalf("past the limit answered %d; want 429", s)
		}
	}
	if s := call(noisy, g.Key(proxytest.Reader)); s != http.StatusTooManyRequests {
		t.Fatalf("a valid key from the throttled address answered %d; want 429 (the address is refused)", s)
	}
	if n := len(g.Logs.AccessLines()) - before; n != 0 {
		t.Fatalf("%d access lines for throttled requests; want none (they would flood the log)", n)
	}
	if got := g.Metric(t, "gateway_auth_failures_total", "reason", "throttled"); got != 101 {
		t.Fatalf("throttled counter %v; want 101", got)
	}
	if s := call(other, g.Key(proxytest.Reader)); s != http.StatusOK {
		t.Fatalf("another address answered %d; want 200", s)
	}
}
