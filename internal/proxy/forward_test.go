package proxy_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/sandbox"
)

func TestCallerReachesTheUpstreamWithTheOrgTokenAndNeverWithItsOwnKey(t *testing.T) {
	t.Parallel()
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{})
	key := gw.Keys[proxytest.Reader]

	req := gw.NewRequest(t, http.MethodGet, "/api/v2/users?limit=5", nil)
	req.Header.Set("Authorization", "Bearer "+key.Raw)
	req.Header.Set("Proxy-Authorization", "Bearer "+key.Raw)
	req.Header.Set("Cookie", "session="+key.Raw)
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("Forwarded", "for=203.0.113.7")
	resp := gw.Do(t, req)

	if resp.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", resp.Status, resp.Body)
	}
	arrivals := gw.Sandbox.Arrivals()
	if len(arrivals) != 1 {
		t.Fatalf("upstream received %d calls, want 1", len(arrivals))
	}
	got := arrivals[0]
	if got.Path != "/api/v2/users" || got.RawQuery != "limit=5" {
		t.Errorf("upstream got %s?%s, want /api/v2/users?limit=5", got.Path, got.RawQuery)
	}
	if a := got.Header.Get("Authorization"); a != "Bearer "+gw.OrgToken {
		t.Errorf("upstream Authorization = %q, want the org token", a)
	}
	for _, h := range []string{"Proxy-Authorization", "Cookie", "X-Forwarded-For", "Forwarded"} {
		if v, present := got.Header[h]; present {
			t.Errorf("upstream received %s: %q; it must be stripped", h, v)
		}
	}
	assertNoSecretIn(t, got.Header, key.Raw, key.Secret())
	id := resp.Header.Get("X-Request-Id")
	if id == "" || got.Header.Get("X-Request-Id") != id {
		t.Errorf("upstream X-Request-Id = %q, caller saw %q; want the same, non-empty", got.Header.Get("X-Request-Id"), id)
	}
}

func TestHeaderSchemeUpstreamGetsTheOrgTokenInItsOwnHeader(t *testing.T) {
	t.Parallel()
	orgToken := "retable_org_secret_0123456789"
	sb, base := proxytest.StartSandbox(t, sandbox.Options{Header: "ApiKey", Scheme: "", Token: orgToken}, "retable-v1")
	key := proxytest.NewKey("tables-1")
	gw := proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
upstreams:
  - name: retable
    mount: /retable
    base_url: %q
    profile: retable-v1
    auth: {scheme: header, header: ApiKey, token_file: %q}
callers:
  - name: tables
    scopes: [workspaces:read]
    keys: [{id: tables-1, sha256: %q}]
`, base, proxytest.SecretFile(t, orgToken), key.SHA256)})

	req := gw.NewRequest(t, http.MethodGet, "/retable/v1/public/workspace", nil)
	req.Header.Set("ApiKey", key.Raw)
	req.Header.Set("Authorization", "Bearer "+key.Raw) // sent by mistake: still never forwarded
	req.Header.Set("Cookie", "k="+key.Raw)
	resp := gw.Do(t, req)

	if resp.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", resp.Status, resp.Body)
	}
	arrivals := sb.Arrivals()
	if len(arrivals) != 1 {
		t.Fatalf("upstream received %d calls, want 1", len(arrivals))
	}
	got := arrivals[0]
	if got.Path != "/v1/public/workspace" {
		t.Errorf("upstream path = %q, want the mount stripped: /v1/public/workspace", got.Path)
	}
	if v := got.Header.Get("ApiKey"); v != orgToken {
		t.Errorf("upstream ApiKey = %q, want the org token", v)
	}
	for _, h := range []string{"Authorization", "Cookie"} {
		if v, present := got.Header[h]; present {
			t.Errorf("upstream received %s: %q; it must be stripped", h, v)
		}
	}
	assertNoSecretIn(t, got.Header, key.Raw, key.Secret())
	if got.Header.Get("X-Request-Id") == "" {
		t.Error("upstream received no X-Request-Id")
	}
}

func TestAPlainCallerRequestIDIsKeptAndAHostileOneReplaced(t *testing.T) {
	t.Parallel()
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{})
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"a plain id travels end to end", "trace-42.a_b", true},
		{"an id with spaces is replaced", "evil id\twith tab", false},
		{"an over-long id is replaced", strings.Repeat("a", 65), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw.Sandbox.Reset()
			req := gw.NewRequest(t, http.MethodGet, "/api/v2/users", nil)
			req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
			req.Header.Set("X-Request-Id", tc.sent)
			resp := gw.Do(t, req)
			id := resp.Header.Get("X-Request-Id")
			if kept := id == tc.sent; kept != tc.kept {
				t.Errorf("caller sent %q, got back %q; kept = %v, want %v", tc.sent, id, kept, tc.kept)
			}
			if up := gw.Sandbox.Arrivals()[0].Header.Get("X-Request-Id"); up != id {
				t.Errorf("upstream got X-Request-Id %q, caller got %q", up, id)
			}
		})
	}
}

// assertNoSecretIn fails if any header name or value holds one of the secrets.
func assertNoSecretIn(t *testing.T, h http.Header, secrets ...string) {
	t.Helper()
	for name, values := range h {
		for _, v := range append([]string{name}, values...) {
			for _, s := range secrets {
				if strings.Contains(v, s) {
					t.Errorf("header %s carries a caller secret: %q", name, v)
				}
			}
		}
	}
}
