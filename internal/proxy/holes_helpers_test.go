package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// seenUpstream is a raw-minded upstream: it reads each request whole, remembers what
// arrived (headers, trailers, query, body) and answers with what answer says.
type seenUpstream struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []seenRequest
	answer func(w http.ResponseWriter, r *http.Request)
}

type seenRequest struct {
	Method, Path, RawQuery string
	Header, Trailer        http.Header
	Body                   []byte
}

func newSeenUpstream(t testing.TB, answer func(w http.ResponseWriter, r *http.Request)) *seenUpstream {
	u := &seenUpstream{answer: answer}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.seen = append(u.seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), r.Trailer.Clone(), body})
		u.mu.Unlock()
		if u.answer != nil {
			u.answer(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true}`)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *seenUpstream) requests() []seenRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seenRequest(nil), u.seen...)
}

// holesGateway is a started gateway in front of up (the retool-v2 route table) with one
// caller, "app", holding users:read and users:write.
type holesGateway struct {
	*proxytest.Gateway
	OrgToken string
	Key      proxytest.Key
}

func startHolesGateway(t testing.TB, up *seenUpstream, server string) *holesGateway {
	t.Helper()
	h := &holesGateway{OrgToken: "retool_org_secret_" + strings.Repeat("7f", 12), Key: proxytest.NewKey("app-1")}
	if server == "" {
		server = "{}"
	}
	h.Gateway = proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
server: %s
upstreams:
  - name: retool
    base_url: %q
    profile: retool-v2
    auth: {scheme: bearer, token_file: %q}
    budget: {capacity: 100000, window: 1s, max_wait: 1ns}
    spec: {enabled: false}
callers:
  - name: app
    scopes: [users:read, users:write]
    keys: [{id: app-1, sha256: %q}]
`, server, up.URL, proxytest.SecretFile(t, h.OrgToken), h.Key.SHA256)})
	return h
}

// rawConn is one hand-written HTTP/1.1 exchange with the gateway.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialGateway(t testing.TB, g *proxytest.Gateway) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatalf("dial gateway: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // generous: a loaded CI machine
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

func (c *rawConn) send(t testing.TB, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write to gateway: %v", err)
	}
}

// response reads the next response (a 1xx included) with its whole body.
func (c *rawConn) response(t testing.TB, method string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(c.r, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body
}
