package override

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Either header alone is enough for some servers to switch protocols.
func TestAnUpgradeIsRecognisedInEitherHeader(t *testing.T) {
	for h, want := range map[string]bool{
		"Upgrade: websocket":              true,
		"Connection: keep-alive, UPGRADE": true,
		"Connection: keep-alive":          false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		name, value, _ := strings.Cut(h, ": ")
		r.Header.Set(name, value)
		if Upgrade(r.Header) != want {
			t.Errorf("%s: Upgrade = %v; want %v", h, !want, want)
		}
	}
}

// A method override is found however a common server would spell it.
func TestEverySpellingOfAMethodOverrideIsRecognised(t *testing.T) {
	overridden := []string{"/users?_METHOD=delete", "/users?%5Fmethod=delete", "/users?a=1;_method=delete"}
	plain := []string{"/users?limit=5", "/users?x_method=1"}
	for _, target := range append(overridden, plain...) {
		want := target != plain[0] && target != plain[1]
		if got := Method(httptest.NewRequest(http.MethodPost, target, nil)); got != want {
			t.Errorf("%s: Method = %v; want %v", target, got, want)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/users", nil)
	r.Header.Set("X-HTTP-Method-Override", "DELETE")
	if !Method(r) {
		t.Error("the override header was not recognised")
	}
}

// The header maps are read with these names directly, without canonicalising: a name not
// in canonical form would never match, and an override would pass unseen.
func TestOverrideHeadersAreCanonical(t *testing.T) {
	for _, h := range methodOverrideHeaders {
		if c := http.CanonicalHeaderKey(h); c != h {
			t.Errorf("%q is not canonical (%q)", h, c)
		}
	}
}
