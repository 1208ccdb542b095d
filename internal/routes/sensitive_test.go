package routes

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/budgetgw/gateway/internal/scopes"
)

// The hole: POST /access_tokens was routed as access_tokens:read, so a *:read caller
// minted an org token with scopes ["*"].
func TestMintingAnAccessTokenIsGrantedOnlyByItsOwnScope(t *testing.T) {
	tab := builtTable(t, "retool-v2")
	mint, ok := tab.Match("POST", "/api/v2/access_tokens")
	if !ok || !mint.Sensitive || mint.Scope.String() != "access_tokens:create" {
		t.Fatalf("POST /access_tokens: %+v; want sensitive, access_tokens:create", mint)
	}
	cases := []struct {
		held  []string
		allow bool
	}{
		{[]string{"*:read"}, false},
		{[]string{"access_tokens:read"}, false},
		{[]string{"*"}, false},
		{[]string{"*:write"}, false},
		{[]string{"*:create"}, false},
		{[]string{"access_tokens"}, false},
		{[]string{"access_tokens:*"}, false},
		{[]string{"access_tokens:write"}, false},
		{[]string{"users:read", "access_tokens:create"}, true},
	}
	for _, c := range cases {
		if got := scopes.MustParseSet(c.held...).Allows(mint.Scope); got != c.allow {
			t.Errorf("%v may mint a token: %v, want %v", c.held, got, c.allow)
		}
	}
	list, _ := tab.Match("GET", "/api/v2/access_tokens")
	if list.Sensitive || !scopes.MustParseSet("*:read").Allows(list.Scope) {
		t.Errorf("listing tokens (ids, labels, last four characters) should stay an ordinary read")
	}
}

func TestEverySensitiveRowOfTheRetoolProfileRefusesWildcards(t *testing.T) {
	tab := builtTable(t, "retool-v2")
	n := 0
	for _, r := range tab.Routes() {
		if !r.Sensitive {
			continue
		}
		n++
		for _, held := range []string{"*", "*:read", "*:write", r.Scope.Family, r.Scope.Family + ":write"} {
			if held != r.Scope.String() && scopes.MustParseSet(held).Allows(r.Scope) {
				t.Errorf("%s: %s grants %s", r.ID, held, r.Scope)
			}
		}
		if !scopes.MustParseSet(r.Scope.String()).Allows(r.Scope) {
			t.Errorf("%s: its own scope %s does not grant it", r.ID, r.Scope)
		}
	}
	if n < 10 {
		t.Fatalf("%d sensitive rows; the review in docs/sensitive-routes.md marks more", n)
	}
}

func TestAnOverrideCanMarkARowSensitive(t *testing.T) {
	var rows []Spec
	if err := yaml.Unmarshal([]byte(`[{method: GET, path: "/users/{id}/secrets", family: users, scope: users:read_secrets, sensitive: true}]`), &rows); err != nil {
		t.Fatal(err)
	}
	tab, err := Compile(testProfile(Spec{Method: "GET", Path: "/users/{id}", Family: "users", Scope: "users:read"}), rows)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := tab.Match("GET", "/users/7/secrets")
	if !ok || !r.Sensitive || scopes.MustParseSet("users").Allows(r.Scope) || !scopes.MustParseSet("users:read_secrets").Allows(r.Scope) {
		t.Fatalf("%+v: want a sensitive row granted only by users:read_secrets", r)
	}
	if plain, _ := tab.Match("GET", "/users/7"); plain.Sensitive || !scopes.MustParseSet("users").Allows(plain.Scope) {
		t.Fatal("an ordinary row became sensitive")
	}
}
