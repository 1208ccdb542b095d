package routes

import (
	"errors"
	"testing"
)

// TestCanonicalHostileForms proves that every hostile spelling is either
// refused or brought to a path whose decision the forwarded path shares.
func TestCanonicalHostileForms(t *testing.T) {
	tab := builtTable(t, "retool-v2")
	const refused = "refused"
	cases := []struct {
		name, raw  string
		want       string // canonical path, or refused
		wantRoute  string // route ID for GET, "" for none
		wantOnWire string // forwarded path when a route matched
	}{
		{"an encoded slash is refused", "/api/v2/users/a%2Fb", refused, "", ""},
		{"a lower-case encoded slash is refused", "/api/v2/users%2f..%2fpermissions", refused, "", ""},
		{"an encoded backslash is refused", "/api/v2/users/a%5Cb", refused, "", ""},
		{"a raw backslash is refused", `/api/v2/users\..\apps`, refused, "", ""},
		{"an encoded dot-dot is refused", "/api/v2/users/%2e%2e/permissions", refused, "", ""},
		{"a half-encoded dot-dot is refused", "/api/v2/users/.%2E/permissions", refused, "", ""},
		{"an encoded dot is refused", "/api/v2/users/%2e", refused, "", ""},
		{"an overlong UTF-8 dot is refused", "/api/v2/users/%C0%AE%C0%AE", refused, "", ""},
		{"dot-dot above the root is refused", "/api/../../v2/users", refused, "", ""},
		{"dot-dot at the root is refused", "/..", refused, "", ""},
		{"a path parameter is refused", "/api/v2/users;jsessionid=1", refused, "", ""},
		{"an encoded semicolon is refused", "/api/v2/users/u1%3Bx", refused, "", ""},
		{"an encoded NUL is refused", "/api/v2/users/u1%00.json", refused, "", ""},
		{"an encoded newline is refused", "/api/v2/users/u1%0d%0aX-Injected:1", refused, "", ""},
		{"an encoded DEL is refused", "/api/v2/users/u1%7F", refused, "", ""},
		{"a C1 control character is refused", "/api/v2/users/u1%C2%85", refused, "", ""},
		{"invalid UTF-8 is refused", "/api/v2/users/%FF", refused, "", ""},
		{"a lone percent is refused", "/api/v2/users/100%", refused, "", ""},
		{"a non-hex escape is refused", "/api/v2/users/%G1", refused, "", ""},
		{"a raw question mark is refused", "/api/v2/users?x", refused, "", ""},
		{"a raw space is refused", "/api/v2/users/a b", refused, "", ""},
		{"an empty path is refused", "", refused, "", ""},
		{"a relative path is refused", "api/v2/users", refused, "", ""},

		{"dot-dot is resolved before routing", "/api/v2/users/../permissions", "/api/v2/permissions", "", ""},
		{"dot-dot into another family routes there", "/api/v2/users/../groups/g1", "/api/v2/groups/g1", "GET /api/v2/groups/{groupId}", "/api/v2/groups/g1"},
		{"a dot segment is dropped", "/api/v2/users/./u1", "/api/v2/users/u1", "GET /api/v2/users/{userId}", "/api/v2/users/u1"},
		{"a trailing dot-dot leaves a directory", "/api/v2/users/u1/..", "/api/v2/users/", "GET /api/v2/users", "/api/v2/users"},
		{"duplicate slashes collapse", "//api//v2///users", "/api/v2/users", "GET /api/v2/users", "/api/v2/users"},
		{"a trailing slash is kept", "/api/v2/users/", "/api/v2/users/", "GET /api/v2/users", "/api/v2/users"},
		{"mixed case is kept and routed", "/API/v2/USERS/AbC", "/API/v2/USERS/AbC", "GET /api/v2/users/{userId}", "/api/v2/users/AbC"},
		{"encoded unreserved letters are decoded", "/api/v2/%75sers/%41b", "/api/v2/users/Ab", "GET /api/v2/users/{userId}", "/api/v2/users/Ab"},
		{"an encoded question mark stays in its parameter", "/api/v2/users/a%3Fb", "/api/v2/users/a?b", "GET /api/v2/users/{userId}", "/api/v2/users/a%3Fb"},
		{"a double-encoded slash is refused", "/api/v2/users/a%252Fb", refused, "", ""},
		{"a double-encoded dot-dot is refused", "/api/v2/users/%252e%252e", refused, "", ""},
		{"an encoded percent that escapes nothing stays a percent", "/api/v2/users/100%25", "/api/v2/users/100%", "GET /api/v2/users/{userId}", "/api/v2/users/100%25"},
		{"sub-delimiters pass through", "/api/v2/users/a:b@c!$&'()*+,=", "/api/v2/users/a:b@c!$&'()*+,=", "GET /api/v2/users/{userId}", "/api/v2/users/a:b@c%21$&%27%28%29%2A+%2C="},
		{"UTF-8 in a parameter is kept", "/api/v2/users/%C3%A9", "/api/v2/users/\u00e9", "GET /api/v2/users/{userId}", "/api/v2/users/%C3%A9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Canonical(c.raw)
			if c.want == refused {
				if !errors.Is(err, ErrNotCanonical) {
					t.Fatalf("Canonical(%q) = %q, %v; want ErrNotCanonical", c.raw, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Canonical(%q) = %q, %v; want %q", c.raw, got, err, c.want)
			}
			if id := routeID(tab, "GET", got); id != c.wantRoute {
				t.Fatalf("route = %q, want %q", id, c.wantRoute)
			}
			if c.wantRoute == "" {
				return
			}
			r, _ := tab.Match("GET", got)
			wire := r.ForwardPath(got)
			if wire != c.wantOnWire {
				t.Fatalf("forwarded %q, want %q", wire, c.wantOnWire)
			}
			again, err := Canonical(wire)
			if err != nil {
				t.Fatalf("the forwarded path %q is refused: %v", wire, err)
			}
			if id := routeID(tab, "GET", again); id != r.ID {
				t.Fatalf("the forwarded path routes to %q, the checked one to %q", id, r.ID)
			}
		})
	}
}

func TestCanonicalErrorsSayWhy(t *testing.T) {
	_, err := Canonical("/api/v2/users/a%2Fb")
	if err == nil || err.Error() != "path is not canonical: segment 4: encoded slash (%2F)" {
		t.Fatalf("error = %v", err)
	}
}

// A path already in canonical form, the common case, is its own result and costs no
// allocation; one that needed any change is still rewritten.
func TestCanonicalPathIsReturnedAsIs(t *testing.T) {
	for _, p := range []string{"/", "/api/v2/users", "/api/v2/users/", "/api/v2/users/42", "/api/v2/apps/a-b_c.d~e", "/x/:colon/@at/!$&'()*+,="} {
		got, err := Canonical(p)
		if err != nil || got != p {
			t.Errorf("Canonical(%q) = %q, %v; want it unchanged", p, got, err)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = Canonical(p) }); n != 0 {
			t.Errorf("Canonical(%q) allocates %v times; a canonical path should cost none", p, n)
		}
	}
	for p, want := range map[string]string{"//api/v2/users": "/api/v2/users", "/api/./v2": "/api/v2", "/api/x/../v2": "/api/v2", "/api/v2/x/..": "/api/v2/", "/api/%41": "/api/A", "/api//v2/": "/api/v2/"} {
		if got, err := Canonical(p); err != nil || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", p, got, err, want)
		}
	}
}
