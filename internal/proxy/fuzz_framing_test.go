package proxy_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Headers that must never reach the upstream, whatever the framing around them.
var neverUpstream = []string{"Cookie", "Proxy-Authorization", "Upgrade", "Trailer", "X-Api-Key", "Apikey",
	"X-Http-Method-Override", "X-Method-Override", "X-Http-Method", "Expect", "Forwarded", "X-Forwarded-For"}

// FuzzGatewayFraming writes arbitrary request bytes (a target, a header block, a body, in
// whatever framing they spell: chunked, lengths, trailers, several requests, upgrades) to
// a real gateway on a socket, as an authenticated caller, in front of an upstream that
// echoes everything it is sent, org token included. Whatever happens:
//   - every call that reaches the upstream carries the org token as its only credential,
//     no caller key anywhere (headers, trailers, query), no trailer, no upgrade, no method
//     override, no hop-by-hop or forwarding header the caller chose;
//   - no byte of what the caller gets back holds the org token;
//   - the gateway never answers 500 (a panic).
func FuzzGatewayFraming(f *testing.F) {
	up := newSeenUpstream(f, func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_ = r.Header.Write(&b) // the whole request header, org token included, echoed back
		w.Header().Set("X-Echo-Auth", r.Header.Get("Authorization"))
		_, _ = w.Write(b.Bytes())
	})
	g := startHolesGateway(f, up, "{read_header_timeout: 2s, read_timeout: 2s}")
	key := g.Key.Raw
	addr := strings.TrimPrefix(g.URL, "http://")

	chunkedBody := []byte("5\r\nhello\r\n0\r\nAuthorization: Bearer " + key + "\r\nX-Request-Id: forged\r\n\r\n")
	seeds := []struct {
		method, target, head string
		body                 []byte
	}{
		{"GET", "/api/v2/users", "", nil},
		{"POST", "/api/v2/users", "Transfer-Encoding: chunked\r\nTrailer: Authorization, X-Request-Id\r\n", chunkedBody},
		{"POST", "/api/v2/users", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", chunkedBody},
		{"POST", "/api/v2/users", "Content-Length: 5\r\nContent-Length: 6\r\n", []byte("hello!")},
		{"POST", "/api/v2/users", "Transfer-Encoding: chunked, identity\r\n", chunkedBody},
		{"POST", "/api/v2/users", "Transfer-Encoding:\tchunked\r\n", chunkedBody},
		{"POST", "/api/v2/users", "Expect: 100-continue\r\nContent-Length: 2\r\n", []byte("{}")},
		{"GET", "/api/v2/users", "Connection: Upgrade\r\nUpgrade: websocket\r\n", nil},
		{"GET", "/api/v2/users", "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n", nil},
		{"GET", "/api/v2/users", "X-HTTP-Method-Override: DELETE\r\n", nil},
		{"GET", "/api/v2/users?_method=DELETE", "", nil},
		{"GET", "/api/v2/users?api_key=" + key + "&limit=1", "X-Api-Key: " + key + "\r\nApiKey: " + key + "\r\n", nil},
		{"GET", "/api/v2/users", "Connection: X-Api-Key, Cookie\r\nCookie: k=" + key + "\r\n", nil},
		{"GET", "/api/v2/users", "X-Folded: a\r\n " + key + "\r\n", nil},
		{"POST", "/api/v2/users", "Content-Length: 0\r\n", []byte("GET /api/v2/users?smuggled=1 HTTP/1.1\r\nHost: gw\r\n\r\n")},
		{"GET", "/api/v2/users", "Authorization: Bearer " + key + "\r\n", nil},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.head, s.body)
	}
	f.Fuzz(func(t *testing.T, method, target, head string, body []byte) {
		before := len(up.requests())
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		req := method + " " + target + " HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + key + "\r\n" + head + "\r\n"
		_, _ = io.WriteString(c, req)
		_, _ = c.Write(body)
		_ = c.(*net.TCPConn).CloseWrite() // no more: the server answers what it has and closes
		answer, err := io.ReadAll(c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the gateway neither answered nor closed within 20 s")
		}
		if bytes.Contains(answer, []byte(g.OrgToken)) {
			t.Fatalf("the caller got the org token back:\n%q", answer)
		}
		if bytes.Contains(answer, []byte(" 500 Internal Server Error")) {
			t.Fatalf("the gateway answered 500:\n%q", answer)
		}
		for _, r := range up.requests()[before:] {
			checkUpstreamRequest(t, r, g.OrgToken, key)
		}
	})
}

func checkUpstreamRequest(t *testing.T, r seenRequest, orgToken, key string) {
	t.Helper()
	if a := r.Header.Values("Authorization"); len(a) != 1 || a[0] != "Bearer "+orgToken {
		t.Fatalf("upstream Authorization %q; want only the org token", a)
	}
	for _, h := range neverUpstream {
		if v, ok := r.Header[h]; ok {
			t.Fatalf("upstream received %s: %q", h, v)
		}
	}
	for _, c := range r.Header.Values("Connection") {
		if strings.Contains(strings.ToLower(c), "upgrade") {
			t.Fatalf("upstream received Connection: %q", c)
		}
	}
	if len(r.Trailer) != 0 {
		t.Fatalf("upstream received trailers %v", r.Trailer)
	}
	if strings.Contains(r.RawQuery, key) || strings.Contains(strings.ToLower(r.RawQuery), "_method") {
		t.Fatalf("upstream query %q carries a caller key or a method override", r.RawQuery)
	}
	for name, vs := range r.Header {
		for _, v := range append([]string{name}, vs...) {
			if strings.Contains(v, key) {
				t.Fatalf("upstream header %s carries the caller key", name)
			}
		}
	}
	if ids := r.Header.Values("X-Request-Id"); len(ids) != 1 {
		t.Fatalf("upstream X-Request-Id %q; want exactly one", ids) // a caller's plain id is kept: not checked here
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		t.Fatalf("upstream received method %q, which no users route has", r.Method)
	}
}
