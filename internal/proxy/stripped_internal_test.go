package proxy

import (
	"net/http"
	"testing"
)

// retarget deletes strippedHeaders from the map directly, without canonicalising: a name
// not in canonical form would never match and the header would go upstream.
func TestStrippedHeadersAreCanonical(t *testing.T) {
	for _, h := range strippedHeaders {
		if c := http.CanonicalHeaderKey(h); c != h {
			t.Errorf("%q is not canonical (%q): retarget would let it through", h, c)
		}
	}
}
