package routes

import "testing"

func TestMatch(t *testing.T) {
	tab := builtTable(t, "retool-v2")
	cases := []struct {
		name, method, path, want string
	}{
		{"a static segment beats a parameter", "POST", "/api/v2/apps/cloneApp", "POST /api/v2/apps/cloneApp"},
		{"a parameter takes a segment no static claims", "GET", "/api/v2/apps/a1", "GET /api/v2/apps/{appId}"},
		{"a static name without a route for the method falls to the parameter", "GET", "/api/v2/apps/cloneApp", "GET /api/v2/apps/{appId}"},
		{"the static branch wins when the whole path fits it", "POST", "/api/v2/source_control/manifests/m1/apps/a1/delete",
			"POST /api/v2/source_control/manifests/{manifestName}/apps/{appUuid}/delete"},
		{"matching backtracks from a static branch that dead-ends", "POST", "/api/v2/source_control/manifests/m1/apps/delete",
			"POST /api/v2/source_control/manifests/{manifestName}/{elementUuid}/delete"},
		{"a parameter after a backtrack can hold a static's name", "PUT", "/api/v2/source_control/manifests/m1/apps",
			"PUT /api/v2/source_control/manifests/{manifestName}/{elementUuid}"},
		{"an element id routes to the element template", "PUT", "/api/v2/source_control/manifests/m1/e1",
			"PUT /api/v2/source_control/manifests/{manifestName}/{elementUuid}"},
		{"HEAD uses GET's route", "HEAD", "/api/v2/users/u1", "GET /api/v2/users/{userId}"},
		{"HEAD has no route where GET has none", "HEAD", "/api/v2/apps/cloneApp/x", ""},
		{"a trailing slash the template lacks is ignored", "GET", "/api/v2/users/", "GET /api/v2/users"},
		{"a trailing slash the template has may be left out", "GET", "/api/v2/organization", "GET /api/v2/organization/"},
		{"a trailing slash the template has may be given", "POST", "/api/v2/organization/invalidate_sessions/", "POST /api/v2/organization/invalidate_sessions/"},
		{"static segments ignore ASCII case", "GET", "/API/V2/Users/u1", "GET /api/v2/users/{userId}"},
		{"a Kelvin sign is not a k", "GET", "/api/v2/user_tas\u212as", ""},
		{"an unknown path is not found", "GET", "/api/v2/nope", ""},
		{"a method the path lacks is not found", "PUT", "/api/v2/users", ""},
		{"an unknown method is not found", "OPTIONS", "/api/v2/users", ""},
		{"methods are case-sensitive", "get", "/api/v2/users", ""},
		{"a prefix of a template is not found", "GET", "/api/v2", ""},
		{"extra segments are not found", "GET", "/api/v2/users/u1/x/y/z", ""},
		{"an empty interior segment is not found", "GET", "/api/v2//users", ""},
		{"a dot segment never fills a parameter", "GET", "/api/v2/users/..", ""},
		{"a relative path is not found", "GET", "api/v2/users", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := routeID(tab, c.method, c.path); got != c.want {
				t.Fatalf("Match(%s, %s) = %q, want %q", c.method, c.path, got, c.want)
			}
		})
	}
}

func TestForwardPath(t *testing.T) {
	tab := builtTable(t, "retool-v2")
	cases := []struct {
		name, method, path, want string
	}{
		{"static segments take the template's spelling", "GET", "/API/V2/USERS/AbC", "/api/v2/users/AbC"},
		{"parameter values are escaped", "GET", "/api/v2/users/a b?c#d%e", "/api/v2/users/a%20b%3Fc%23d%25e"},
		{"the template's trailing slash is restored", "GET", "/api/v2/organization", "/api/v2/organization/"},
		{"a trailing slash the template lacks is dropped", "GET", "/api/v2/users/", "/api/v2/users"},
		{"a camel-case static keeps its case", "POST", "/api/v2/apps/CLONEAPP", "/api/v2/apps/cloneApp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, ok := tab.Match(c.method, c.path)
			if !ok {
				t.Fatalf("Match(%s, %s) found nothing", c.method, c.path)
			}
			if got := r.ForwardPath(c.path); got != c.want {
				t.Fatalf("ForwardPath(%q) = %q, want %q", c.path, got, c.want)
			}
		})
	}
}

func TestForwardPathRefusesAPathOfAnotherShape(t *testing.T) {
	tab := builtTable(t, "retool-v2")
	r, _ := tab.Match("GET", "/api/v2/users/u1")
	for _, p := range []string{"/api/v2/users", "/api/v2/users/u1/x", "/api/v2/groups/g1", "api/v2/users/u1", "/api/v2//u1", "/api/v2/users/.."} {
		if got := r.ForwardPath(p); got != "" {
			t.Errorf("ForwardPath(%q) = %q, want \"\"", p, got)
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	tab := builtTable(t, "retool-v2")
	paths := []string{
		"/api/v2/users/u1",
		"/API/V2/Users/u1",
		"/api/v2/source_control/manifests/m1/apps/delete",
		"/api/v2/nope/x",
	}
	for _, p := range paths {
		if n := testing.AllocsPerRun(100, func() { tab.Match("POST", p); tab.Match("HEAD", p) }); n != 0 {
			t.Errorf("Match(%q) allocates %v times", p, n)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	tab := builtTable(b, "retool-v2")
	for b.Loop() {
		tab.Match("GET", "/api/v2/custom_component_libraries/l1/revisions/r1/files")
	}
}
