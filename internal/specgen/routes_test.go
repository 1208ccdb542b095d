package main

import (
	"strings"
	"testing"
)

func TestDeriveRow(t *testing.T) {
	cases := []struct {
		name                  string
		op                    operation
		wantPath, wantFamily  string
		wantScope, wantInNote string
	}{
		{"a stated scope is mapped to our names",
			operation{method: "GET", path: "/environments", description: `The API token must have the "Environment > Read" scope.`},
			"/api/v2/environments", "environments", "environments:read", ""},
		{"the cost family is the path's, not the scope's",
			operation{method: "POST", path: "/sso/config", description: `The API token must have the "Spaces > Write" scope.`},
			"/api/v2/sso/config", "sso", "spaces:write", ""},
		{"no stated scope denies by default with the path family's write",
			operation{method: "POST", path: "/organization/invalidate_sessions/", description: "Invalidate sessions."},
			"/api/v2/organization/invalidate_sessions/", "organization", "organization:write", "no scope stated"},
		{"of two allowed scopes the one named for the resource is required",
			operation{method: "POST", path: "/users/{userId}/user_attributes",
				description: `must have either the "Users > Write" or "User Attributes > Write" scope.`},
			"/api/v2/users/{userId}/user_attributes", "users", "user_attributes:write", "also allowed upstream: users:write"},
		{"a colon parameter becomes a braced one",
			operation{method: "GET", path: "/access_tokens/:accessTokenId", description: `must have the "Access Tokens > Read" scope`},
			"/api/v2/access_tokens/{accessTokenId}", "access_tokens", "access_tokens:read", ":name"},
		{"a scope without a level takes the method's",
			operation{method: "GET", path: "/usage", description: `must have the 'usage' scope.`},
			"/api/v2/usage", "usage", "usage:read", ""},
		{"test deploy is its own level",
			operation{method: "POST", path: "/source_control/test_deploy", description: `must have the "Source Control > Test Deploy" scope`},
			"/api/v2/source_control/test_deploy", "source_control", "source_control:test_deploy", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := deriveRow(c.op)
			if err != nil {
				t.Fatal(err)
			}
			notes := strings.Join(r.notes, "; ")
			if r.path != c.wantPath || r.family != c.wantFamily || r.scope != c.wantScope || !strings.Contains(notes, c.wantInNote) {
				t.Fatalf("got %s %s %s (%s)", r.path, r.family, r.scope, notes)
			}
		})
	}
}

func TestDeriveRefusesToGuess(t *testing.T) {
	for _, desc := range []string{
		`must have the "Widgets > Read" scope`,
		`must have the "Users > Admin" scope`,
		`must have the "Users > Read" scope. Also must have the "Groups > Read" scope.`,
	} {
		if _, err := deriveRow(operation{method: "GET", path: "/x", description: desc}); err == nil {
			t.Errorf("%q: derived a scope instead of failing", desc)
		}
	}
}

func TestSensitiveRowsAreMarkedAndNeverLost(t *testing.T) {
	op := operation{method: "POST", path: "/access_tokens", description: `must have the "Access Tokens > Read" scope`}
	_, err := deriveRoutes([]operation{op})
	if err == nil || !strings.Contains(err.Error(), "sensitiveRows: GET /sso/config is not in the document") {
		t.Fatalf("a sensitive row missing from the document went unnoticed: %v", err)
	}
	r, err := deriveRow(op)
	if err != nil {
		t.Fatal(err)
	}
	out := string(emitRoutes("test", []row{markSensitive(r, sensitiveRows["POST /access_tokens"])}))
	if !strings.Contains(out, "scope: access_tokens:create, sensitive: true}") {
		t.Fatalf("the minting row is not emitted as sensitive:\n%s", out)
	}
}
