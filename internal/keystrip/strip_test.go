package keystrip

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A key sent by a side door is dropped; everything else reaches the upstream as sent.
func TestStripDropsEveryPlaceAKeyHidesAndKeepsTheRest(t *testing.T) {
	const key = "gwk_abcdef_0123456789abcdef"
	out := httptest.NewRequest(http.MethodGet, "/api/v2/users?limit=5&API_KEY=x&note=has%20"+key+"&b=%2F", nil)
	out.Header.Set("X-Api-Key", "k")
	out.Header.Set("Apikey", "k")
	out.Header.Set("X-Debug", "token "+key)
	out.Header.Set("X-Other-Upstream-Key", "k")
	out.Header.Set("Accept", "application/json")
	Strip(out, key, []string{"X-Other-Upstream-Key"})
	for _, h := range []string{"X-Api-Key", "Apikey", "X-Debug", "X-Other-Upstream-Key"} {
		if out.Header.Get(h) != "" {
			t.Errorf("%s reached the upstream", h)
		}
	}
	if out.Header.Get("Accept") != "application/json" {
		t.Error("an ordinary header was dropped")
	}
	if out.URL.RawQuery != "limit=5&b=%2F" {
		t.Errorf("query %q; want the other pairs kept byte for byte", out.URL.RawQuery)
	}
}

// A key too short to search for is only stripped by name: a short string would match
// ordinary values by accident.
func TestAShortKeyIsNotSearchedFor(t *testing.T) {
	out := httptest.NewRequest(http.MethodGet, "/x?q=abc", nil)
	out.Header.Set("X-Note", "abc")
	Strip(out, "abc", nil)
	if out.Header.Get("X-Note") != "abc" || out.URL.RawQuery != "q=abc" {
		t.Fatal("a value holding a short key was dropped")
	}
}

// Strip deletes its known headers from the map directly, without canonicalising: a name
// not in canonical form would never match and the key would go through.
func TestKnownKeyHeadersAreCanonical(t *testing.T) {
	for _, h := range callerKeyHeaders {
		if c := http.CanonicalHeaderKey(h); c != h {
			t.Errorf("%q is not canonical (%q): Strip would miss it", h, c)
		}
	}
}
