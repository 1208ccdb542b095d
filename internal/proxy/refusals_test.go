package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// maxBody is the body limit of the refusal tests: small, so an oversized body is cheap.
const maxBody = 1024

func TestRefusedRequestsNeverReachTheUpstreamNorSpendAPoint(t *testing.T) {
	t.Parallel()
	const (
		noBody = iota
		sizedBody
		chunkedBody
	)
	for _, tc := range []struct {
		name         string
		method, path string
		key          string // a key id of the fixture, or a literal key when it holds '_'
		body         int
		status       int
		problem      string // the type's slug
		challenge    bool   // 401 must say how to authenticate
	}{
		{"a wrong secret for a known key id is 401", "GET", "/api/v2/users", "gwk_reader-1_d3JvbmctYnV0LXdlbGwtZm9ybWVkLXNlY3JldA", noBody, 401, "key-unknown", true},
		{"an upstream token sent instead of a gateway key is 401", "GET", "/api/v2/users", "retool_not_a_gateway_key", noBody, 401, "key-unknown", true},
		{"no key at all is 401", "GET", "/api/v2/users", "", noBody, 401, "key-missing", true},
		{"a disabled key is 423", "GET", "/api/v2/users", proxytest.ReaderDisabled, noBody, 423, "key-disabled", false},
		{"an expired key is 401", "GET", "/api/v2/users", proxytest.ReaderExpired, noBody, 401, "key-expired", true},
		{"a caller without the route's scope is 403", "GET", "/api/v2/groups", proxytest.Reader, noBody, 403, "scope-missing", false},
		{"a write with only the read scope is 403", "POST", "/api/v2/users", proxytest.Reader, noBody, 403, "scope-missing", false},
		{"a scope the org token lacks is 403 even for a caller holding *", "POST", "/api/v2/permissions/listObjects", proxytest.Admin, noBody, 403, "token-scope-missing", false},
		{"an unknown path is 404", "GET", "/api/v2/no_such_thing", proxytest.Reader, noBody, 404, "unknown-route", false},
		{"an unknown method on a known path is 404", "DELETE", "/api/v2/users", proxytest.Admin, noBody, 404, "unknown-route", false},
		{"a non-canonical path is 400", "GET", "/api/v2/users/%2e%2e/users", proxytest.Reader, noBody, 400, "path-not-canonical", false},
		{"a body over max_body_bytes with Content-Length is 413", "POST", "/api/v2/groups", proxytest.Writer, sizedBody, 413, "body-too-large", false},
		{"a chunked body over max_body_bytes is 413", "POST", "/api/v2/groups", proxytest.Writer, chunkedBody, 413, "body-too-large", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gw := proxytest.StartRetool(t, proxytest.RetoolOptions{
				MaxBodyBytes: maxBody,
				TokenScopes:  []string{"users", "groups"},
			})
			var body io.Reader
			if tc.body != noBody {
				body = strings.NewReader(`{"name":"` + strings.Repeat("x", 4*maxBody) + `"}`)
			}
			req := gw.NewRequest(t, tc.method, tc.path, body)
			if tc.body == chunkedBody {
				req.ContentLength = -1 // unknown length: the client sends it chunked
			}
			if key := tc.key; key != "" {
				if !strings.Contains(key, "_") {
					key = gw.Key(key)
				}
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp := gw.Do(t, req)

			if resp.Status != tc.status {
				t.Fatalf("status = %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			if p := resp.Problem(t); p.Type != "urn:budgetgw:problem:"+tc.problem {
				t.Errorf("problem type = %q, want %s", p.Type, tc.problem)
			}
			if got := resp.Header.Get("WWW-Authenticate"); tc.challenge && got != `Bearer realm="gateway"` {
				t.Errorf("WWW-Authenticate = %q, want the Bearer challenge", got)
			}
			if n := len(gw.Sandbox.Arrivals()); n != 0 {
				t.Errorf("the upstream received %d calls; a refused request must not reach it", n)
			}
			if used := gw.Metric(t, "gateway_budget_points_used", "upstream", "retool"); used != 0 {
				t.Errorf("gateway_budget_points_used = %v, want 0: refusals are free", used)
			}
			if spent := gw.Metric(t, "gateway_budget_points_admitted_total"); spent != 0 {
				t.Errorf("gateway_budget_points_admitted_total = %v, want 0", spent)
			}
		})
	}
}

func TestAChunkedBodyWithinTheLimitIsForwardedWhole(t *testing.T) {
	t.Parallel()
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{MaxBodyBytes: maxBody})
	body := `{"name":"` + strings.Repeat("y", maxBody-20) + `"}`
	req := gw.NewRequest(t, http.MethodPost, "/api/v2/groups", strings.NewReader(body))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Writer))
	req.Header.Set("Content-Type", "application/json")

	resp := gw.Do(t, req)

	if resp.Status != http.StatusCreated {
		t.Fatalf("status = %d, want 201: %s", resp.Status, resp.Body)
	}
	arrivals := gw.Sandbox.Arrivals()
	if len(arrivals) != 1 || string(arrivals[0].Body) != body {
		t.Fatalf("upstream did not receive the body whole: %d arrivals", len(arrivals))
	}
}
