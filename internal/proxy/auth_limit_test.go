package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// The throttle counts failures by bad key and address together. Behind a NAT or a load
// balancer every client shares one address: one client's broken key must not lock out the
// others, and above all never a valid key (on main, 30 bad keys from one address made a
// valid key from it get 429 auth-throttled for the rest of the minute).
func TestAuthFailureThrottleRefusesTheRepeatingBadKeyAndNeverAValidOne(t *testing.T) {
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{})
	call := func(addr, key string) int {
		req := httptest.NewRequest("GET", "/api/v2/users", nil)
		req.RemoteAddr = addr
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		g.Handler.ServeHTTP(rec, req)
		return rec.Code
	}
	const nat, other = "198.51.100.7:40000", "198.51.100.8:40000"
	const broken, typo = "gwk_nope_wrongsecret", "gwk_reader-1_typo"
	for i := range 30 {
		if s := call(nat, broken); s != http.StatusUnauthorized {
			t.Fatalf("failure %d answered %d; want 401 until the limit", i+1, s)
		}
	}
	before := len(g.Logs.AccessLines())
	for range 100 {
		if s := call(nat, broken); s != http.StatusTooManyRequests {
			t.Fatalf("the repeating bad key past the limit answered %d; want 429", s)
		}
	}
	if n := len(g.Logs.AccessLines()) - before; n != 0 {
		t.Fatalf("%d access lines for throttled requests; want none (they would flood the log)", n)
	}
	if got := g.Metric(t, "gateway_auth_failures_total", "reason", "throttled"); got != 100 {
		t.Fatalf("throttled counter %v; want 100", got)
	}

	cases := []struct {
		name      string
		addr, key string
		want      int
	}{
		{"a valid key from the address that failed is served", nat, g.Key(proxytest.Reader), http.StatusOK},
		{"another valid key from that address is served", nat, g.Key(proxytest.Writer), http.StatusOK},
		{"a neighbour's different bad key gets its own 401, not the throttle", nat, typo, http.StatusUnauthorized},
		{"a neighbour with no key gets its own 401", nat, "", http.StatusUnauthorized},
		{"the same bad key from another address gets its 401", other, broken, http.StatusUnauthorized},
		{"the throttled bad key is still refused", nat, broken, http.StatusTooManyRequests},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if s := call(tc.addr, tc.key); s != tc.want {
				t.Fatalf("answered %d; want %d", s, tc.want)
			}
		})
	}
}

// A client rotating through bad keys gets an honest 401 for each, but past the limit its
// failures no longer write an access-log line each (metrics still count them).
func TestRotatingBadKeysFromOneAddressStopFillingTheLog(t *testing.T) {
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{})
	before := len(g.Logs.AccessLines())
	for i := range 100 {
		req := httptest.NewRequest("GET", "/api/v2/users", nil)
		req.RemoteAddr = "203.0.113.9:5555"
		req.Header.Set("Authorization", "Bearer gwk_guess"+string(rune('a'+i%26))+string(rune('a'+i/26))+"_secret")
		rec := httptest.NewRecorder()
		g.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("bad key %d answered %d; want 401", i, rec.Code)
		}
	}
	if n := len(g.Logs.AccessLines()) - before; n != 30 {
		t.Fatalf("%d access lines for 100 failures; want 30 (the limit), the rest unlogged", n)
	}
	if got := g.Metric(t, "gateway_auth_failures_total", "reason", "unknown"); got != 100 {
		t.Fatalf("unknown-key counter %v; want all 100 counted", got)
	}
}
