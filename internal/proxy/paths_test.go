package proxy_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/sandbox"
)

// The caller in these tests holds users:read only. Each hostile spelling aims at a route
// it may not call (groups, permissions, role_permissions); whatever the spelling, the
// gateway must refuse it and the upstream must never see it. Request targets go on the
// wire byte for byte (proxytest.Raw), as an attacker would send them.
func TestHostilePathsNeverReachARouteTheCallersScopesDoNotAllow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		method, target string
		status         int
	}{
		{"an encoded dot-dot climbing from users to groups", "GET", "/api/v2/users/%2e%2e/groups", 400},
		{"an upper-case encoded dot-dot", "GET", "/api/v2/users/%2E%2E/groups", 400},
		{"half an encoded dot-dot", "GET", "/api/v2/users/%2e./groups", 400},
		{"an encoded slash hiding a climb", "GET", "/api/v2/users/..%2Fgroups", 400},
		{"encoded slashes around a climb", "GET", "/api/v2/users%2F..%2Fgroups", 400},
		{"a double-encoded dot-dot", "GET", "/api/v2/users/%252e%252e/groups", 400},
		{"a double-encoded slash", "GET", "/api/v2/users%252F..%252Fgroups", 400},
		{"a plain dot-dot is resolved first, then checked as groups", "GET", "/api/v2/users/../groups", 403},
		{"a climb from a user id to permissions", "GET", "/api/v2/users/1/../../permissions/accessList/apps/1", 403},
		{"a dot segment and a climb to role permissions", "GET", "/api/v2/./users/../role_permissions/roles", 403},
		{"a plain climb to a permissions write", "POST", "/api/v2/users/../permissions/grant", 403},
		{"an encoded climb to a permissions write", "POST", "/api/v2/users/%2e%2e/permissions/grant", 400},
		{"a climb above the root", "GET", "/../api/v2/groups", 400},
		{"a trailing dot-dot leaves the groups list", "GET", "/api/v2/groups/1/..", 403},
		{"a doubled slash", "GET", "/api/v2//groups", 403},
		{"a leading doubled slash", "GET", "//api/v2/groups", 403},
		{"a path parameter before a climb", "GET", "/api/v2/users;x=1/../groups", 400},
		{"a dot-dot with a path parameter", "GET", "/api/v2/users/..;/groups", 400},
		{"an encoded semicolon", "GET", "/api/v2/users/%3B/../groups", 400},
		{"mixed case names the same route", "GET", "/API/v2/Groups", 403},
		{"mixed case on a permissions route", "GET", "/Api/V2/PERMISSIONS/accessList/apps/1", 403},
		{"a backslash climb", "GET", `/api/v2/users\..\groups`, 400},
		{"an encoded backslash climb", "GET", "/api/v2/users/..%5Cgroups", 400},
		{"an encoded NUL", "GET", "/api/v2/users/%00/../groups", 400},
		{"a raw NUL", "GET", "/api/v2/users/\x00/../groups", 400},
		{"an encoded tab", "GET", "/api/v2/users/%09/../groups", 400},
		{"a malformed escape", "GET", "/api/v2/users/%2/../groups", 400},
		{"overlong UTF-8 dots", "GET", "/api/v2/users/%C0%AE%C0%AE/groups", 400},
		{"fullwidth dots are not dots", "GET", "/api/v2/users/%EF%BC%8E%EF%BC%8E/groups", 404},
		{"a division slash is not a slash", "GET", "/api/v2/users%E2%88%95..%E2%88%95groups", 404},
		{"an absolute-form target naming another host", "GET", "http://evil.example/api/v2/groups", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gw := proxytest.StartRetool(t, proxytest.RetoolOptions{})

			resp := gw.Raw(t, tc.method, tc.target, "Authorization: Bearer "+gw.Key(proxytest.Reader))

			if resp.Status != tc.status {
				t.Errorf("status = %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			if arrivals := gw.Sandbox.Arrivals(); len(arrivals) != 0 {
				t.Errorf("the upstream received %s %s; nothing may reach it", arrivals[0].Method, arrivals[0].Path)
			}
		})
	}
}

// A hostile spelling that resolves to a route the caller may call is served, and what
// goes upstream is the canonical path, spelt as the route table spells it: the upstream
// never gets anything left to resolve differently.
func TestOddSpellingsOfAnAllowedRouteForwardTheCanonicalPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, target, forwarded string
	}{
		{"a climb back into users", "/api/v2/groups/../users", "/api/v2/users"},
		{"a climb from permissions to a user", "/api/v2/permissions/../users/42", "/api/v2/users/42"},
		{"upper case", "/API/V2/USERS", "/api/v2/users"},
		{"a doubled slash", "/api/v2//users", "/api/v2/users"},
		{"a dot segment and a trailing slash", "/api/v2/./users/", "/api/v2/users"},
		{"an escaped letter in an id", "/api/v2/users/%41bc", "/api/v2/users/Abc"},
		{"an escaped space in an id", "/api/v2/users/a%20b", "/api/v2/users/a b"},
		{"an absolute-form target", "http://evil.example/api/v2/users", "/api/v2/users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gw := proxytest.StartRetool(t, proxytest.RetoolOptions{})

			resp := gw.Raw(t, "GET", tc.target, "Authorization: Bearer "+gw.Key(proxytest.Reader))

			if resp.Status != http.StatusOK {
				t.Fatalf("status = %d, want 200: %s", resp.Status, resp.Body)
			}
			arrivals := gw.Sandbox.Arrivals()
			if len(arrivals) != 1 {
				t.Fatalf("upstream received %d calls, want 1", len(arrivals))
			}
			if got := arrivals[0].Path; got != tc.forwarded {
				t.Errorf("upstream path = %q, want the canonical %q", got, tc.forwarded)
			}
		})
	}
}

// With two upstreams mounted side by side, a path under one mount never reaches the other,
// however it climbs: the mount is chosen on the raw path, and a climb out of it is refused.
// The caller holds * so scopes cannot be what stops it.
func TestAClimbOutOfOneMountNeverReachesTheOtherUpstream(t *testing.T) {
	t.Parallel()
	retoolToken, retableToken := "retool_org_token_for_mounts", "retable_org_token_for_mounts"
	retool, retoolURL := proxytest.StartSandbox(t, sandbox.Options{Token: retoolToken}, "retool-v2")
	retable, retableURL := proxytest.StartSandbox(t, sandbox.Options{Header: "ApiKey", Token: retableToken}, "retable-v1")
	key := proxytest.NewKey("both-1")
	gw := proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
upstreams:
  - {name: retool, mount: /, base_url: %q, profile: retool-v2, auth: {token_file: %q}, spec: {enabled: false}}
  - {name: retable, mount: /retable, base_url: %q, profile: retable-v1, auth: {scheme: header, header: ApiKey, token_file: %q}}
callers:
  - name: both
    scopes: ["*"]
    keys: [{id: both-1, sha256: %q}]
`, retoolURL, proxytest.SecretFile(t, retoolToken), retableURL, proxytest.SecretFile(t, retableToken), key.SHA256)})

	for _, tc := range []struct {
		name, target, header string
		status               int
	}{
		{"a climb out of the retable mount into Retool's users", "/retable/../api/v2/users", "ApiKey: " + key.Raw, 400},
		{"an encoded climb out of the retable mount", "/retable/%2e%2e/api/v2/users", "ApiKey: " + key.Raw, 400},
		{"a climb from Retool into the retable mount stays in Retool", "/api/v2/../../retable/v1/public/workspace", "Authorization: Bearer " + key.Raw, 404},
		{"an encoded slash after the mount name is not the mount", "/retable%2Fv1/public/workspace", "Authorization: Bearer " + key.Raw, 400},
		{"the mount name in upper case is not the mount", "/RETABLE/v1/public/workspace", "Authorization: Bearer " + key.Raw, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := gw.Raw(t, "GET", tc.target, tc.header)
			if resp.Status != tc.status {
				t.Errorf("status = %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
		})
	}
	if n := len(retool.Arrivals()) + len(retable.Arrivals()); n != 0 {
		t.Errorf("the upstreams received %d calls; none may reach either", n)
	}
	// And the plain paths work, each on its own upstream.
	if a := gw.Raw(t, "GET", "/retable/v1/public/workspace", "ApiKey: "+key.Raw); a.Status != 200 || len(retable.Arrivals()) != 1 {
		t.Errorf("plain retable call: status %d, %d retable arrivals", a.Status, len(retable.Arrivals()))
	}
}
