package app_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
)

func TestEveryRequestGetsExactlyOneAccessLineWithTheSameKeys(t *testing.T) {
	t.Parallel()
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{MaxBodyBytes: 1024})
	type want struct {
		caller, route string
		cost          int64
		status        int
		outcome       string
	}
	requests := []struct {
		name, key, method, path, body string
		want                          want
	}{
		{"a forwarded call names its route and cost", proxytest.Reader, "GET", "/api/v2/users/42", "", want{"reader", "GET /api/v2/users/{userId}", 2, 200, "forwarded"}},
		{"a call without a key has no caller and no route", "", "GET", "/api/v2/users", "", want{"none", "none", 0, 401, "auth_missing"}},
		{"a disabled key is refused before routing", proxytest.ReaderDisabled, "GET", "/api/v2/users", "", want{"none", "none", 0, 423, "auth_disabled"}},
		{"a scope refusal names the route it refused", proxytest.Reader, "GET", "/api/v2/groups", "", want{"reader", "GET /api/v2/groups", 5, 403, "scope-missing"}},
		{"a non-canonical path has no route", proxytest.Reader, "GET", "/api/v2/users/%2e%2e/groups", "", want{"reader", "none", 0, 400, "path-not-canonical"}},
		{"an unknown route is logged as none", proxytest.Reader, "GET", "/api/v2/nowhere", "", want{"reader", "none", 0, 404, "unknown-route"}},
		{"an oversized body is refused after the key, before anything is spent", proxytest.Writer, "POST", "/api/v2/groups", big(), want{"writer", "none", 0, 413, "body-too-large"}},
		{"a capped caller's first call is forwarded", proxytest.Capped, "GET", "/api/v2/users", "", want{"capped", "GET /api/v2/users", 2, 200, "forwarded"}},
		{"a capped caller's second call is refused by the budget", proxytest.Capped, "GET", "/api/v2/users", "", want{"capped", "GET /api/v2/users", 2, 429, "caller-cap"}},
	}
	for i, r := range requests {
		req := gw.NewRequest(t, r.method, r.path, strings.NewReader(r.body))
		if r.key != "" {
			req.Header.Set("Authorization", "Bearer "+gw.Key(r.key))
		}
		req.Header.Set("X-Request-Id", requestID(i))
		if a := gw.Do(t, req); a.Status != r.want.status {
			t.Errorf("%s: status %d, want %d: %s", r.name, a.Status, r.want.status, a.Body)
		}
	}

	lines := map[string]int{}
	for _, e := range gw.Logs.AccessLines() {
		id, _ := e.ContextMap()["request_id"].(string)
		lines[id]++
	}
	for i, r := range requests {
		t.Run(r.name, func(t *testing.T) {
			if n := lines[requestID(i)]; n != 1 {
				t.Fatalf("%d access lines, want exactly 1", n)
			}
			f := gw.Logs.AwaitAccessLine(t, requestID(i)).ContextMap()
			got := want{str(f["caller"]), str(f["route"]), num(f["cost"]), int(num(f["status"])), str(f["outcome"])}
			if got != r.want {
				t.Errorf("access line %+v, want %+v (all fields: %v)", got, r.want, f)
			}
		})
	}
	if n := len(gw.Logs.AccessLines()); n != len(requests) {
		t.Errorf("%d access lines for %d requests", n, len(requests))
	}
}

func requestID(i int) string { return fmt.Sprintf("access-%d", i) }

func str(v any) string { s, _ := v.(string); return s }

func num(v any) int64 { n, _ := v.(int64); return n }

// A bug below the access log (here, a transport that panics) and an answer cut off
// mid-body (the upstream's connection breaks) are the requests most worth finding in the
// log: each still gets its one line.
func TestARequestThatPanicsOrIsCutOffStillGetsItsOneAccessLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		transport http.RoundTripper
		status    int
		outcome   string
	}{
		{"a panic below answers 500 and is logged as such", panickingTransport{}, 500, "internal"},
		{"an answer cut off mid-body is logged as aborted", breakingTransport{}, 200, "aborted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gw := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: "http://upstream.invalid", Transport: tc.transport})
			req := gw.NewRequest(t, http.MethodGet, "/api/v2/users", nil)
			req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
			req.Header.Set("X-Request-Id", "the-one")

			if a, err := gw.Send(req); err == nil && a.Status != tc.status {
				t.Errorf("status %d, want %d", a.Status, tc.status)
			}

			f := gw.Logs.AwaitAccessLine(t, "the-one").ContextMap()
			if num(f["status"]) != int64(tc.status) || str(f["outcome"]) != tc.outcome {
				t.Errorf("access line status %v outcome %v, want %d %s", f["status"], f["outcome"], tc.status, tc.outcome)
			}
			if n := len(gw.Logs.AccessLines()); n != 1 {
				t.Errorf("%d access lines, want 1", n)
			}
		})
	}
}

type panickingTransport struct{}

func (panickingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	panic("a bug in the transport")
}

// breakingTransport answers 200 and breaks the body after a few bytes.
type breakingTransport struct{}

func (breakingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body := io.MultiReader(strings.NewReader(`{"success":true,"da`), errReader{})
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(body), Request: r}, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by upstream") }
