package keystrip

import (
	"net/http"
	"net/url"
	"strings"
)

// Headers in which clients commonly send an API key. The upstream's own key header is
// replaced by the org token; these, and the key headers of the other upstreams (a client
// configured for Retable sends ApiKey), are dropped so a caller key never reaches an
// upstream by a side door.
var callerKeyHeaders = []string{"X-Api-Key", "Api-Key", "Apikey", "X-Auth-Token"}

// Query parameters in which clients commonly send an API key (access_token: RFC 6750 §2.3).
// None is a parameter of a fronted API; compared case-insensitively after decoding.
var keyParams = []string{"api_key", "apikey", "api-key", "access_token"}

// minKeyScan is the shortest caller key whose value is also searched for in every header
// and query value: shorter strings would match by accident.
const minKeyScan = 16

// Strip removes from the outbound request every header and query pair that
// carries a caller key: the known key headers and parameters by name, and any other
// whose value contains the very key the caller authenticated with. Query pairs that stay
// are kept byte for byte (escaping and order), so the upstream reads what was routed.
// also names more headers to drop, in canonical form (as net/http keys the map).
func Strip(out *http.Request, rawKey string, also []string) {
	for _, h := range callerKeyHeaders { // canonical already: no canonicalising per request
		delete(out.Header, h)
	}
	for _, h := range also {
		delete(out.Header, h)
	}
	scan := len(rawKey) >= minKeyScan
	if scan {
		for name, vs := range out.Header {
			for _, v := range vs {
				if strings.Contains(v, rawKey) {
					delete(out.Header, name)
					break
				}
			}
		}
	}
	if out.URL.RawQuery == "" {
		return
	}
	keep := func(pair string) bool {
		k, v, _ := strings.Cut(pair, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		for _, p := range keyParams {
			if strings.EqualFold(k, p) {
				return false
			}
		}
		if scan {
			if dv, err := url.QueryUnescape(v); err == nil {
				v = dv
			}
			return !strings.Contains(k, rawKey) && !strings.Contains(v, rawKey)
		}
		return true
	}
	pairs := strings.Split(out.URL.RawQuery, "&")
	kept := pairs[:0]
	for _, p := range pairs {
		if keep(p) {
			kept = append(kept, p)
		}
	}
	out.URL.RawQuery = strings.Join(kept, "&")
	out.URL.ForceQuery = false
}
