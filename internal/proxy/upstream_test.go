package proxy_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
)

func TestAnUpstream429LocksTheOrganisationOutWithoutFurtherCalls(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"success":false,"message":"Rate limit exceeded"}`))
	}))
	t.Cleanup(up.Close)
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: up.URL})
	key := gw.Key(proxytest.Reader)

	first := gw.Call(t, http.MethodGet, "/api/v2/users", key, nil)
	if first.Status != http.StatusTooManyRequests {
		t.Fatalf("first call: status %d, want the upstream's 429", first.Status)
	}
	for i := range 3 {
		a := gw.Call(t, http.MethodGet, "/api/v2/users", key, nil)
		if a.Status != http.StatusTooManyRequests {
			t.Fatalf("call %d during the lockout: status %d, want 429", i+2, a.Status)
		}
		if p := a.Problem(t); p.Type != "urn:budgetgw:problem:upstream-lockout" {
			t.Errorf("call %d: problem type %q, want upstream-lockout", i+2, p.Type)
		}
		if s, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
			t.Errorf("call %d: Retry-After = %q, want 1 or 2 (the upstream's 2 s, counting down)", i+2, a.Header.Get("Retry-After"))
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the upstream was called %d times, want 1: a locked-out gateway forwards nothing", n)
	}
	if v := gw.Metric(t, "gateway_lockout_active", "upstream", "retool"); v != 1 {
		t.Errorf("gateway_lockout_active = %v, want 1", v)
	}
	if v := gw.Metric(t, "gateway_upstream_rate_limited_total", "upstream", "retool"); v != 1 {
		t.Errorf("gateway_upstream_rate_limited_total = %v, want 1", v)
	}
}

func TestUpstreamFailuresGetClearAnswersThatDoNotNameTheUpstream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		base    func(t *testing.T) string
		status  int
		problem string
	}{
		{"an upstream that does not answer in time is 504", silentUpstream, http.StatusGatewayTimeout, "upstream-timeout"},
		{"an upstream that refuses the connection is 502", refusingUpstream, http.StatusBadGateway, "upstream-unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := tc.base(t)
			gw := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: base, Timeout: 200 * time.Millisecond})

			a := gw.Call(t, http.MethodGet, "/api/v2/users", gw.Key(proxytest.Reader), nil)

			if a.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.Status, tc.status, a.Body)
			}
			if p := a.Problem(t); p.Type != "urn:budgetgw:problem:"+tc.problem {
				t.Errorf("problem type %q, want %s", p.Type, tc.problem)
			}
			addr := strings.TrimPrefix(base, "http://")
			host, port, _ := net.SplitHostPort(addr)
			for _, leak := range []string{addr, host, ":" + port} {
				if strings.Contains(string(a.Body), leak) {
					t.Errorf("the answer names the upstream (%s): %s", leak, a.Body)
				}
				for name, values := range a.Header {
					if strings.Contains(strings.Join(values, " "), leak) {
						t.Errorf("header %s names the upstream (%s): %v", name, leak, values)
					}
				}
			}
		})
	}
}

// silentUpstream accepts calls and never answers them (until the test ends).
func silentUpstream(t *testing.T) string {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(up.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for handlers
	return up.URL
}

// refusingUpstream is an address where nothing listens any more.
func refusingUpstream(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}
