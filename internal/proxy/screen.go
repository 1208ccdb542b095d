package proxy

import (
	"net/http"
	"net/url"
	"strings"
)

// Headers with which web frameworks let a POST stand for another method. The scope check
// and the route are decided on the request's own method, so an upstream that honoured one
// of these would carry out an operation nobody checked.
var methodOverrideHeaders = []string{"X-Http-Method-Override", "X-Method-Override", "X-Http-Method"}

// methodOverrideParam is the query parameter with the same meaning (Rails, Laravel, ...).
const methodOverrideParam = "_method"

// screen refuses what would let a request do more than its route says: a protocol upgrade
// (a WebSocket or h2c tunnel would carry further requests past every check, unpaid and
// unlogged) and a method override. Both are refused rather than stripped, so a client
// that relies on them learns at once instead of getting a different operation than it
// meant. No route row allows an upgrade.
func (g *Gateway) screen(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case wantsUpgrade(r.Header):
			writeProblem(w, r, http.StatusBadRequest, "upgrade-refused",
				"The gateway does not switch protocols (WebSocket, h2c): every call must be a plain HTTP request it can check and count. Send it without the Upgrade header and Connection: upgrade.")
		case hasMethodOverride(r):
			writeProblem(w, r, http.StatusBadRequest, "method-override-refused",
				"Method override (X-HTTP-Method-Override, X-Method-Override, X-HTTP-Method, ?_method=) is refused: the gateway checks the request's own method. Send the request with the method you mean.")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// wantsUpgrade reports an Upgrade header, or "upgrade" among the Connection options
// (either alone is enough for some servers to switch).
func wantsUpgrade(h http.Header) bool {
	if len(h.Values("Upgrade")) > 0 {
		return true
	}
	for _, v := range h.Values("Connection") {
		for opt := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(opt), "upgrade") {
				return true
			}
		}
	}
	return false
}

func hasMethodOverride(r *http.Request) bool {
	for _, h := range methodOverrideHeaders {
		if len(r.Header.Values(h)) > 0 {
			return true
		}
	}
	return queryHasKey(r.URL.RawQuery, func(k string) bool { return strings.EqualFold(k, methodOverrideParam) })
}

// queryHasKey reports whether any pair of the raw query has a key (decoded, as a server
// would) that match accepts. Both '&' and ';' separate pairs: some servers split on either.
func queryHasKey(raw string, match func(string) bool) bool {
	for raw != "" {
		var pair string
		i := strings.IndexAny(raw, "&;")
		if i < 0 {
			pair, raw = raw, ""
		} else {
			pair, raw = raw[:i], raw[i+1:]
		}
		k, _, _ := strings.Cut(pair, "=")
		if match(k) {
			return true
		}
		if d, err := url.QueryUnescape(k); err == nil && d != k && match(d) {
			return true
		}
	}
	return false
}
