package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/routes"
)

func TestAnUpstreamsRouteTableIsCompiledOncePerSettings(t *testing.T) {
	u := Upstream{Name: "retool", Profile: "retool-v2"}
	first, err := u.Table()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := u.Table(); again != first {
		t.Fatal("asking again compiled the table again")
	}
	cp := u // what the proxy receives when it ranges over the upstreams
	if fromCopy, _ := cp.Table(); fromCopy != first {
		t.Fatal("a copy of the validated upstream compiled its table again")
	}
	u.Routes = append(u.Routes, routes.Spec{Method: "GET", Path: "/api/v2/extra", Family: "users", Scope: "users:read"})
	changed, err := u.Table()
	if err != nil {
		t.Fatal(err)
	}
	if changed == first {
		t.Fatal("changed rows reused the table built before the change")
	}
	if _, ok := changed.Match("GET", "/api/v2/extra"); !ok {
		t.Fatal("the rebuilt table lacks the added row")
	}
	u.Profile = "no-such-profile"
	var pe *routes.ProfileError
	if _, err := u.Table(); !errors.As(err, &pe) {
		t.Fatalf("an unknown profile gave %v; want a *routes.ProfileError", err)
	}
}

func TestABadRouteRowIsNamedByItsFullKeyPath(t *testing.T) {
	doc := `
upstreams:
  - name: retool
    base_url: https://x.retool.com
    profile: retool-v2
    auth: {token_env: X}
    routes: [{method: GET, path: /api/v2/zzz, family: users, scope: "bad scope"}]
`
	_, err := Parse(strings.NewReader(doc))
	if err == nil || !strings.Contains(err.Error(), "upstreams[0].routes[0].scope") {
		t.Fatalf("got %v; want the error to name upstreams[0].routes[0].scope", err)
	}
}
