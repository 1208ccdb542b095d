package proxy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/sandbox"
)

// The hole (issue 13, item 2): POST /access_tokens was routed as access_tokens:read, so a
// *:read caller minted an org token with scopes ["*"] and got its secret back.
func TestOnlyTheExactScopeMintsAnAccessToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		caller      []string
		tokenScopes []string
		status      int
		problem     string
	}{
		{"a *:read caller is refused", []string{"*:read"}, []string{"*"}, 403, "scope-missing"},
		{"an access_tokens:read caller is refused", []string{"access_tokens:read"}, []string{"*"}, 403, "scope-missing"},
		{"a * caller is refused", []string{"*"}, []string{"*"}, 403, "scope-missing"},
		{"a *:write caller is refused", []string{"*:write"}, []string{"*"}, 403, "scope-missing"},
		{"an access_tokens:* caller is refused", []string{"access_tokens:*"}, []string{"*"}, 403, "scope-missing"},
		{"the exact scope is refused while token_scopes grants it only by wildcard", []string{"access_tokens:create"}, []string{"*"}, 403, "token-scope-missing"},
		{"the exact scope, listed in token_scopes too, mints", []string{"access_tokens:create"}, []string{"*", "access_tokens:create"}, 201, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb, base := proxytest.StartSandbox(t, sandbox.Options{Token: "retool_org_secret_for_minting"}, "retool-v2")
			key := proxytest.NewKey("minter-1")
			g := proxytest.Start(t, proxytest.Options{Config: mintConfig(t, base, tc.caller, tc.tokenScopes, key)})
			resp := g.Call(t, "POST", "/api/v2/access_tokens", key.Raw, strings.NewReader(`{"label":"x","scopes":["*"]}`))
			if resp.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			if tc.problem == "" {
				return
			}
			if p := resp.Problem(t); p.Type != "urn:budgetgw:problem:"+tc.problem || !strings.Contains(p.Detail, "access_tokens:create") || !strings.Contains(p.Detail, "never a wildcard") {
				t.Errorf("problem %q %q: want %s naming the exact scope", p.Type, p.Detail, tc.problem)
			}
			for _, a := range sb.Arrivals() {
				if a.Method == "POST" {
					t.Errorf("the upstream received POST %s; a refused mint must not reach it", a.Path)
				}
			}
		})
	}
}

func mintConfig(t *testing.T, base string, caller, tokenScopes []string, key proxytest.Key) string {
	quote := func(list []string) string { return `["` + strings.Join(list, `", "`) + `"]` }
	return fmt.Sprintf(`
server: {listen: "127.0.0.1:0", shutdown_grace: 1s}
upstreams:
  - name: retool
    mount: /
    base_url: %q
    profile: retool-v2
    auth: {scheme: bearer, token_file: %q}
    token_scopes: %s
    budget: {capacity: 10000, window: 1s, lockout: 1s}
callers:
  - name: minter
    scopes: %s
    keys: [{id: %s, sha256: %q}]
`, base, proxytest.SecretFile(t, "retool_org_secret_for_minting"), quote(tokenScopes), quote(caller), key.ID, key.SHA256)
}
