package share

import (
	"net/http"
	"strconv"
	"strings"
)

// Headers that change what an upstream answers to a read; they are part of the share key,
// and they are the only caller headers a shared read forwards. Authorization is not: the
// upstream always sees the org token.
var varyHeaders = []string{"Accept", "Accept-Encoding", "Accept-Language", "Range", "If-None-Match", "If-Modified-Since"}

// traceHeaders (W3C trace context) travel with a shared read but are not in its key: they
// name the leader's trace, and no upstream answers differently for them.
var traceHeaders = []string{"Traceparent", "Tracestate"}

// keyHeaders is what a shared read forwards of the caller's headers: the varying ones,
// except any that Connection names, which the reverse proxy drops as hop-by-hop (counting
// them in the key would split or join reads on a header the upstream never sees).
func keyHeaders(in http.Header) http.Header {
	var hop map[string]bool // only when Connection names any header
	for _, v := range in["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if hop == nil {
				hop = map[string]bool{}
			}
			hop[http.CanonicalHeaderKey(strings.TrimSpace(name))] = true
		}
	}
	out := make(http.Header, 2)
	for _, name := range varyHeaders { // canonical names: the map is read directly
		if vs := in[name]; len(vs) > 0 && !hop[name] {
			out[name] = append([]string(nil), vs...)
		}
	}
	return out
}

// Request returns r as a shared read forwards it: only keyHeaders and no body (a GET's
// body has no defined meaning, and the key does not hold it). So the answer depends on
// nothing of the leader's request beyond the key: an upstream that reflects a request
// header cannot hand one caller's header to another.
func Request(r *http.Request) *http.Request {
	r = r.WithContext(r.Context()) // a shallow copy whose fields may be replaced
	h := keyHeaders(r.Header)
	for _, name := range traceHeaders {
		if vs := r.Header[name]; len(vs) > 0 {
			h[name] = vs
		}
	}
	r.Header = h
	r.Body, r.ContentLength, r.TransferEncoding = http.NoBody, 0, nil
	return r
}

// Key identifies reads that get the same answer. Every field is length-prefixed, so
// no value can spell another field or pair: upstream, method, the escaped forwarded path,
// the raw query as the caller sent it (pairs in order, escapes as sent; the forwarded
// query is derived from it alone, so equal keys forward equal queries), and the forwarded
// varying headers, each with its count of values in order. r must come from Request.
func Key(upstream, forwardPath string, r *http.Request) string {
	b := make([]byte, 0, 48+len(upstream)+len(forwardPath)+len(r.URL.RawQuery))
	field := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	count := func(n int) { // a field holding the decimal n, without building its string
		var d [20]byte
		digits := strconv.AppendInt(d[:0], int64(n), 10)
		b = strconv.AppendInt(b, int64(len(digits)), 10)
		b = append(b, ':')
		b = append(b, digits...)
	}
	field(upstream)
	field(r.Method)
	field(forwardPath)
	if r.URL.ForceQuery || r.URL.RawQuery != "" {
		// "?" with nothing after it still reaches the upstream
		b = strconv.AppendInt(b, int64(1+len(r.URL.RawQuery)), 10)
		b = append(b, ":?"...)
		b = append(b, r.URL.RawQuery...)
	} else {
		field("")
	}
	for _, name := range varyHeaders {
		vs := r.Header[name] // Request's header: canonical names
		count(len(vs))
		for _, v := range vs {
			field(v)
		}
	}
	return string(b)
}
