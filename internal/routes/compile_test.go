package routes

import (
	"strings"
	"testing"
)

func testProfile(rows ...Spec) *Profile {
	return &Profile{
		Name:        "test",
		Families:    map[string]int64{"users": 2, "groups": 5},
		DefaultCost: 10,
		Routes:      rows,
	}
}

func boolPtr(b bool) *bool { return &b }

func TestCompileReportsEveryBadRowByName(t *testing.T) {
	p := testProfile(
		Spec{Method: "GET", Path: "/users", Family: "users", Scope: "users:read"},
		Spec{Method: "GET", Path: "/users/{id}", Family: "users", Scope: "users"},
		Spec{Method: "FETCH", Path: "/groups", Family: "groups", Scope: "groups:read"},
	)
	overrides := []Spec{
		{Method: "GET", Path: "/things/{id}", Family: "Things", Scope: "*"},
		{Method: "POST", Path: "/things/{a}/x", Family: "things", Scope: "things:write", Coalesce: boolPtr(true)},
		{Method: "GET", Path: "things/:id/%2F", Family: "things", Scope: "things:read", Cost: -1},
		{Method: "PUT", Path: "/groups/{g}", Family: "groups", Scope: "groups:write"},
		{Method: "PUT", Path: "/GROUPS/{other}/", Family: "groups", Scope: "groups:write"},
	}
	_, err := Compile(p, overrides)
	if err == nil {
		t.Fatal("Compile accepted bad rows")
	}
	for _, want := range []string{
		"profile test: routes[1].scope: ",
		"profile test: routes[2].method: \"FETCH\" is not one of",
		"routes[0].family: \"Things\"",
		"routes[0].scope: \"*\"",
		"routes[1].coalesce: only GET and HEAD",
		"routes[2].path: \"things/:id/%2F\" does not start with /",
		"routes[2].cost: -1 is negative",
		"routes[4]: PUT /GROUPS/{other}/ duplicates routes[3] (PUT /groups/{g})",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestCompileRejectsBadTemplates(t *testing.T) {
	cases := []struct{ name, path, want string }{
		{"a colon parameter", "/users/:id", "write parameters as {id}"},
		{"an escape in a static segment", "/us%65rs", "static segments use"},
		{"an empty segment", "/users//x", "is empty"},
		{"a dot segment", "/users/../x", "dot segment"},
		{"a repeated parameter", "/a/{id}/b/{id}", "appears twice"},
		{"a bad parameter name", "/a/{i-d}", "parameter names"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(testProfile(Spec{Method: "GET", Path: c.path, Family: "users", Scope: "users:read"}), nil)
			if err == nil || !strings.Contains(err.Error(), "routes[0].path: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want routes[0].path ... %s", err, c.want)
			}
		})
	}
}

func TestCompileRejectsDuplicateProfileRows(t *testing.T) {
	p := testProfile(
		Spec{Method: "GET", Path: "/users/{id}", Family: "users", Scope: "users:read"},
		Spec{Method: "GET", Path: "/users/{userId}", Family: "users", Scope: "users:read"},
	)
	_, err := Compile(p, nil)
	if err == nil || !strings.Contains(err.Error(), "profile test: routes[1]: GET /users/{userId} duplicates profile test: routes[0]") {
		t.Fatalf("error = %v", err)
	}
}

func TestCompileNeedsACostForEveryFamily(t *testing.T) {
	p := testProfile(Spec{Method: "GET", Path: "/x", Family: "unpriced", Scope: "x:read"})
	p.DefaultCost = 0
	_, err := Compile(p, nil)
	if err == nil || !strings.Contains(err.Error(), `routes[0].cost: family "unpriced" has no cost`) {
		t.Fatalf("error = %v", err)
	}
}

func TestCompileOverrides(t *testing.T) {
	p := testProfile(
		Spec{Method: "GET", Path: "/users/{id}", Family: "users", Scope: "users:read"},
		Spec{Method: "POST", Path: "/users", Family: "users", Scope: "users:write"},
	)
	tab, err := Compile(p, []Spec{
		{Method: "GET", Path: "/users/{userId}", Family: "users", Scope: "users:write", Cost: 7, Coalesce: boolPtr(false)},
		{Method: "GET", Path: "/reports", Family: "reports", Scope: "reports:read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	routes := tab.Routes()
	if len(routes) != 3 {
		t.Fatalf("%d routes, want 3: a replaced row must not be kept", len(routes))
	}
	cases := []struct {
		name, method, path string
		wantID             string
		wantScope          string
		wantCost           int64
		wantCoalesce       bool
	}{
		{"an override replaces the row of the same shape", "GET", "/users/u1", "GET /users/{userId}", "users:write", 7, false},
		{"an untouched row keeps its family's cost", "POST", "/users", "POST /users", "users:write", 2, false},
		{"an added row in an unlisted family pays the default cost", "GET", "/reports", "GET /reports", "reports:read", 10, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, ok := tab.Match(c.method, c.path)
			if !ok {
				t.Fatal("not found")
			}
			if r.ID != c.wantID || r.Scope.String() != c.wantScope || r.Cost != c.wantCost || r.Coalesce != c.wantCoalesce {
				t.Fatalf("got %s %s cost %d coalesce %v", r.ID, r.Scope, r.Cost, r.Coalesce)
			}
		})
	}
}

func TestRoutesReturnsACopy(t *testing.T) {
	tab := builtTable(t, "retable-v1")
	tab.Routes()[0] = nil
	if tab.Routes()[0] == nil {
		t.Fatal("Routes shares its slice with the table")
	}
}

func TestAPublicRowIsAReadWithoutScopeOrCost(t *testing.T) {
	p := testProfile(
		Spec{Method: "GET", Path: "/health", Family: "health", Public: true},
		Spec{Method: "GET", Path: "/users", Family: "users", Scope: "users:read"},
	)
	tab, err := Compile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !tab.HasPublic() {
		t.Fatal("HasPublic is false for a table with a public row")
	}
	r, ok := tab.Match("HEAD", "/health")
	if !ok || !r.Public || r.Cost != 0 || r.Scope.String() != (Route{}).Scope.String() {
		t.Fatalf("HEAD /health: %+v, want the public GET row, cost 0, no scope", r)
	}
	if r, _ := tab.Match("GET", "/users"); r.Public {
		t.Fatal("an ordinary row came out public")
	}
	if tab, _ := Compile(testProfile(Spec{Method: "GET", Path: "/users", Family: "users", Scope: "users:read"}), nil); tab.HasPublic() {
		t.Fatal("HasPublic is true for a table without public rows")
	}
}

func TestAPublicRowMayNotWriteCostOrNameAScope(t *testing.T) {
	_, err := Compile(testProfile(), []Spec{
		{Method: "POST", Path: "/health", Family: "health", Public: true},
		{Method: "GET", Path: "/a", Family: "health", Public: true, Cost: 1},
		{Method: "GET", Path: "/b", Family: "users", Public: true, Scope: "users:read"},
		{Method: "DELETE", Path: "/c", Family: "users", Public: true},
	})
	if err == nil {
		t.Fatal("Compile accepted unsafe public rows")
	}
	for _, want := range []string{
		"routes[0].public: only GET and HEAD rows may be public, not POST",
		"routes[1].cost: a public row spends no points",
		"routes[2].scope: a public row is served without a key",
		"routes[3].public: only GET and HEAD rows may be public, not DELETE",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestTheRetoolProfileAnswersTheHealthProbePublicly(t *testing.T) {
	tab := builtTable(t, "retool-v2")
	r, ok := tab.Match("GET", "/api/checkHealth")
	if !ok || !r.Public || r.Cost != 0 || !r.CacheSet || r.CacheTTL <= 0 {
		t.Fatalf("GET /api/checkHealth: %+v, want a public, cached, free row", r)
	}
	for _, rt := range tab.Routes() {
		if rt.Public && rt != r {
			t.Errorf("%s is public; only the health probe may be", rt.ID)
		}
	}
}
