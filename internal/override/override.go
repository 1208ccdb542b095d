package override

import (
	"net/http"
	"net/url"
	"strings"
)

// Headers with which web frameworks let a POST stand for another method. The scope check
// and the route are decided on the request's own method, so an upstream that honoured one
// of these would carry out an operation nobody checked.
var methodOverrideHeaders = []string{"X-Http-Method-Override", "X-Method-Override", "X-Http-Method"} // canonical

// methodOverrideParam is the query parameter with the same meaning (Rails, Laravel, ...).
const methodOverrideParam = "_method"

// Upgrade reports an Upgrade header, or "upgrade" among the Connection options
// (either alone is enough for some servers to switch).
func Upgrade(h http.Header) bool {
	if len(h["Upgrade"]) > 0 { // canonical names: the map is read directly
		return true
	}
	for _, v := range h["Connection"] {
		for opt := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(opt), "upgrade") {
				return true
			}
		}
	}
	return false
}

// Method reports a method override: one of the headers, or the query parameter.
func Method(r *http.Request) bool {
	for _, h := range methodOverrideHeaders {
		if len(r.Header[h]) > 0 {
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
