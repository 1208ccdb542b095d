package routes

import (
	"errors"
	"net/url"
	"testing"
)

var fuzzMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// FuzzCanonicalRoute holds the invariant the proxy relies on: whatever a
// client sends, the path forwarded upstream is one the gateway itself
// accepts, routes to the same route, and forwards unchanged. So the upstream
// can never be asked for something other than what was checked.
// Seeds live in testdata/fuzz/FuzzCanonicalRoute.
func FuzzCanonicalRoute(f *testing.F) {
	tabs := []*Table{builtTable(f, "retool-v2"), builtTable(f, "retable-v1")}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := Canonical(raw)
		if err != nil {
			if !errors.Is(err, ErrNotCanonical) {
				t.Fatalf("Canonical(%q) error %v does not wrap ErrNotCanonical", raw, err)
			}
			return
		}
		for _, tab := range tabs {
			for _, m := range fuzzMethods {
				checkForwardedPath(t, tab, m, raw, p)
			}
		}
	})
}

func checkForwardedPath(t *testing.T, tab *Table, method, raw, p string) {
	r, ok := tab.Match(method, p)
	if !ok {
		return
	}
	wire := r.ForwardPath(p)
	if wire == "" {
		t.Fatalf("%s %q (from %q) matched %s but has no forward path", method, p, raw, r.ID)
	}
	q, err := Canonical(wire)
	if err != nil {
		t.Fatalf("forwarded %q for %q is refused: %v", wire, raw, err)
	}
	if r2, _ := tab.Match(method, q); r2 != r {
		t.Fatalf("%q routes to %s but its forwarded %q routes elsewhere", raw, r.ID, wire)
	}
	if again := r.ForwardPath(q); again != wire {
		t.Fatalf("forwarding is not stable: %q then %q", wire, again)
	}
	// The proxy sets URL.RawPath to the forwarded path; Go must send it as is.
	unescaped, err := url.PathUnescape(wire)
	if err != nil {
		t.Fatalf("forwarded %q does not unescape: %v", wire, err)
	}
	if u := (&url.URL{Path: unescaped, RawPath: wire}); u.EscapedPath() != wire {
		t.Fatalf("Go would send %q, not the checked %q", u.EscapedPath(), wire)
	}
}
