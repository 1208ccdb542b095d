package proxy_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// On main, limitBody read a keyless chunked body (up to max_body_bytes, 10 MiB) before
// any key was checked: 60 connections that never sent the last chunk took the process
// from 19 MB to 780 MB. Now the key is checked first, a keyless request is answered with
// its body unread and its connection closed, and every such failure is counted.
//
// Measured by hand for the README (the same flood, `gateway serve`, 100 connections each
// sending 1 MiB of chunks and never the last): see docs/security.md.
func TestKeylessSlowBodyFloodHoldsNoMemory(t *testing.T) {
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{})
	const conns = 100
	const perConn = 1 << 20 // what each client sends before stalling: 100 MiB in all
	chunk := []byte(fmt.Sprintf("%x\r\n%s\r\n", 64<<10, bytes.Repeat([]byte("a"), 64<<10)))
	before := heapInUse()

	var written sync.WaitGroup
	answers := make(chan int, conns)
	var open []net.Conn
	for range conns {
		c, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		open = append(open, c)
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		go func() { // the answer, read as soon as it comes (before the server closes)
			resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodPost})
			if err != nil {
				answers <- 0
				return
			}
			resp.Body.Close()
			answers <- resp.StatusCode
		}()
		written.Add(1)
		go func() { // the body: 1 MiB of chunks, never the last one; errors end it
			defer written.Done()
			if _, err := io.WriteString(c, "POST /api/v2/users HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"); err != nil {
				return
			}
			for sent := 0; sent < perConn; sent += 64 << 10 {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
	}
	written.Wait() // every client has sent all it will, or been cut off

	growth := int64(heapInUse()) - int64(before)
	t.Logf("heap growth with %d stalled keyless uploads open: %d KiB", conns, growth>>10)
	if growth > 24<<20 {
		t.Errorf("heap grew by %d MiB under %d keyless slow bodies; want under 24 MiB (bodies must not be buffered before authentication)", growth>>20, conns)
	}
	statuses := map[int]int{}
	for range conns {
		statuses[<-answers]++
	}
	for s, n := range statuses {
		if s != http.StatusUnauthorized && s != http.StatusTooManyRequests && s != 0 {
			t.Errorf("%d keyless uploads answered %d; want 401 (or 429 once throttled)", n, s)
		}
	}
	failed := g.Metric(t, "gateway_auth_failures_total")
	if failed != conns {
		t.Errorf("gateway_auth_failures_total = %v; want %d: every keyless upload is a counted failure", failed, conns)
	}
	for _, c := range open {
		c.Close()
	}
}

// net/http sends 100 Continue when a handler first reads the body. On main a keyless
// chunked POST with Expect: 100-continue got 100 Continue (limitBody read it) before any
// key was looked at. Now only an authenticated request gets it.
func TestExpectContinueIsAnsweredOnlyAfterAuthentication(t *testing.T) {
	up := newSeenUpstream(t, nil)
	g := startHolesGateway(t, up, "")
	body := `{"email":"a@example.com","first_name":"A","last_name":"B"}`
	cases := []struct {
		name     string
		key      string
		framing  string
		want100  bool
		finalWas int
	}{
		{"keyless, chunked: refused without 100", "", "Transfer-Encoding: chunked", false, http.StatusUnauthorized},
		{"keyless, with a length: refused without 100", "", fmt.Sprintf("Content-Length: %d", len(body)), false, http.StatusUnauthorized},
		{"unknown key, chunked: refused without 100", "gwk_nobody_x", "Transfer-Encoding: chunked", false, http.StatusUnauthorized},
		{"valid key, chunked: 100, then forwarded", g.Key.Raw, "Transfer-Encoding: chunked", true, http.StatusOK},
		{"valid key, with a length: 100, then forwarded", g.Key.Raw, fmt.Sprintf("Content-Length: %d", len(body)), true, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialGateway(t, g.Gateway)
			auth := ""
			if tc.key != "" {
				auth = "Authorization: Bearer " + tc.key + "\r\n"
			}
			c.send(t, "POST /api/v2/users HTTP/1.1\r\nHost: gw\r\n"+auth+"Content-Type: application/json\r\nExpect: 100-continue\r\n"+tc.framing+"\r\n\r\n")
			resp, _ := c.response(t, http.MethodPost)
			if !tc.want100 {
				if resp.StatusCode != tc.finalWas {
					t.Fatalf("first answer %d; want %d with no 100 Continue before it", resp.StatusCode, tc.finalWas)
				}
				return
			}
			if resp.StatusCode != http.StatusContinue {
				t.Fatalf("first answer %d; want 100 Continue for an authenticated request", resp.StatusCode)
			}
			if strings.Contains(tc.framing, "chunked") {
				c.send(t, fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body))
			} else {
				c.send(t, body)
			}
			resp, _ = c.response(t, http.MethodPost)
			if resp.StatusCode != tc.finalWas {
				t.Fatalf("final answer %d; want %d", resp.StatusCode, tc.finalWas)
			}
		})
	}
	if n := len(up.requests()); n != 2 {
		t.Errorf("upstream received %d calls; want 2 (the authenticated ones)", n)
	}
}

// An authenticated caller that stops sending mid-body is answered 408 once
// server.read_timeout has passed since the gateway started reading, with nothing sent
// upstream for a chunked body (it is read whole before spending).
func TestAStalledBodyIsCutOffAfterTheReadTimeout(t *testing.T) {
	up := newSeenUpstream(t, nil)
	g := startHolesGateway(t, up, "{read_timeout: 300ms}")
	cases := []struct {
		name    string
		framing string
		partial string
	}{
		{"chunked, last chunk never sent", "Transfer-Encoding: chunked", "5\r\n{\"a\":\r\n"},
		{"declared length, half sent", "Content-Length: 40", `{"email":"a@exa`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialGateway(t, g.Gateway)
			c.send(t, "POST /api/v2/users HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "+g.Key.Raw+"\r\nContent-Type: application/json\r\n"+tc.framing+"\r\n\r\n"+tc.partial)
			resp, body := c.response(t, http.MethodPost)
			if resp.StatusCode != http.StatusRequestTimeout || !bytes.Contains(body, []byte("body-timeout")) {
				t.Fatalf("answer %d %s; want 408 body-timeout", resp.StatusCode, body)
			}
		})
	}
	if n := len(up.requests()); n > 1 {
		t.Errorf("upstream received %d calls; want at most the declared-length one (a chunked body is read whole before spending)", n)
	}
}

// A refusal that comes before authentication (no upstream at that mount) must not wait
// for the body either: net/http would read up to 256 KiB of it before answering.
func TestARefusalBeforeAuthenticationDoesNotWaitForTheBody(t *testing.T) {
	up := newSeenUpstream(t, nil)
	g := proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
upstreams:
  - {name: retool, mount: /retool, base_url: %q, profile: retool-v2, spec: {enabled: false}, auth: {token_file: %q}}
`, up.URL, proxytest.SecretFile(t, "retool_org_token_unused_1234"))})
	for _, target := range []string{"/elsewhere/api/v2/users", "/retool/api/v2/users"} {
		t.Run(target, func(t *testing.T) {
			c := dialGateway(t, g)
			c.send(t, "POST "+target+" HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n") // and nothing more
			resp, _ := c.response(t, http.MethodPost)
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("answered %d; want 404 or 401 at once", resp.StatusCode)
			}
			if !resp.Close {
				t.Error("the connection is kept open with the body unread; want Connection: close")
			}
		})
	}
}
