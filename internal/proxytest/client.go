package proxytest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Response is what a caller got back, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Problem is an RFC 9457 body as the gateway writes it.
type Problem struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Status     int    `json:"status"`
	Detail     string `json:"detail"`
	RequestID  string `json:"request_id"`
	RetryAfter int64  `json:"retry_after"`
	Reason     string `json:"reason"`
}

// Problem decodes the body, failing the test unless it is a complete problem document:
// application/problem+json, every member set, status and request id agreeing with the
// response's own.
func (r Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body: %s", ct, r.Body)
	}
	var p Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("problem body does not decode: %v: %s", err, r.Body)
	}
	switch {
	case p.Type == "", p.Title == "", p.Detail == "", p.RequestID == "":
		t.Errorf("problem lacks type, title, detail or request_id: %s", r.Body)
	case p.Status != r.Status:
		t.Errorf("problem status = %d, response status = %d", p.Status, r.Status)
	case p.RequestID != r.Header.Get("X-Request-Id"):
		t.Errorf("problem request_id = %q, X-Request-Id = %q", p.RequestID, r.Header.Get("X-Request-Id"))
	}
	return p
}

// NewRequest makes a request to the gateway; path is appended to its URL as written.
func (g *Gateway) NewRequest(t testing.TB, method, path string, body io.Reader) *http.Request {
	t.Helper()
	if g.URL == "" {
		t.Fatal(errNotStarted)
	}
	req, err := http.NewRequest(method, g.URL+path, body)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, path, err)
	}
	return req
}

// Do sends req and reads the whole answer. Every answer is remembered for Seen.
func (g *Gateway) Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	r, err := g.Send(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Send is Do for goroutines other than the test's: it returns the error instead.
func (g *Gateway) Send(req *http.Request) (Response, error) {
	resp, err := g.client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	r, err := readAll(resp)
	if err != nil {
		return Response{}, err
	}
	g.remember(r)
	return r, nil
}

// SendTogether sends every request at once, each from its own goroutine released at the
// same moment, and returns the answers in the requests' order (and every transport error).
func (g *Gateway) SendTogether(reqs []*http.Request) ([]Response, error) {
	start := make(chan struct{})
	answers := make([]Response, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() {
			<-start
			answers[i], errs[i] = g.Send(req)
		})
	}
	close(start)
	wg.Wait()
	return answers, errors.Join(errs...)
}

// Call sends method path with key as Authorization: Bearer (none when key is "").
func (g *Gateway) Call(t testing.TB, method, path, key string, body io.Reader) Response {
	t.Helper()
	req := g.NewRequest(t, method, path, body)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return g.Do(t, req)
}

// Raw writes one HTTP/1.1 request with target exactly as given on the request line, which
// net/http's client would clean, escape or refuse, and reads the answer. header lines are
// "Name: value".
func (g *Gateway) Raw(t testing.TB, method, target string, header ...string) Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatalf("dial gateway: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(awaitLimit))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: gateway.test\r\n", method, target)
	for _, h := range header {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read response to %s %q: %v", method, target, err)
	}
	r := readResponse(t, resp)
	g.remember(r)
	return r
}

// Seen returns every answer the gateway gave through Do, Call and Raw.
func (g *Gateway) Seen() []Response {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Response(nil), g.seen...)
}

func (g *Gateway) remember(r Response) {
	g.mu.Lock()
	g.seen = append(g.seen, r)
	g.mu.Unlock()
}

func readResponse(t testing.TB, resp *http.Response) Response {
	t.Helper()
	r, err := readAll(resp)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readAll(resp *http.Response) (Response, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("read body: %w", err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}
