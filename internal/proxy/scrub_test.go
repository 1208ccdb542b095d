package proxy_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// An upstream that reflects what it was sent (a debug echo, an error quoting the request)
// handed the org token to the caller on main. The gateway masks it in headers, bodies (in
// whatever pieces they arrive, compressed or not) and trailers, counts it and logs a
// warning that never holds the token itself.
func TestTheOrgTokenNeverReachesTheCaller(t *testing.T) {
	var reflect func(w http.ResponseWriter, r *http.Request, token string)
	var gotEncoding []string
	up := newSeenUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		gotEncoding = append(gotEncoding, r.Header.Get("Accept-Encoding"))
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		reflect(w, r, token)
	})
	g := startHolesGateway(t, up, "")
	cases := []struct {
		name     string
		reflect  func(w http.ResponseWriter, r *http.Request, token string)
		status   int
		part     string // where the gateway found it
		wantBody string // the body the caller gets, with [redacted]... for the token
	}{
		{"in a header value", func(w http.ResponseWriter, r *http.Request, token string) {
			w.Header().Set("X-Echo-Authorization", "Bearer "+token)
			_, _ = io.WriteString(w, `{}`)
		}, http.StatusOK, "header", `{}`},
		{"as a header name", func(w http.ResponseWriter, r *http.Request, token string) {
			w.Header().Set("X-"+token, "1")
			_, _ = io.WriteString(w, `{}`)
		}, http.StatusOK, "header", `{}`},
		{"in a body with a length", func(w http.ResponseWriter, r *http.Request, token string) {
			body := `{"echo":"Bearer ` + token + `"}`
			w.Header().Set("Content-Length", itoa(len(body)))
			_, _ = io.WriteString(w, body)
		}, http.StatusOK, "body", `{"echo":"Bearer MASK"}`},
		{"split across flushed chunks", func(w http.ResponseWriter, r *http.Request, token string) {
			_, _ = io.WriteString(w, `{"echo":"`+token[:7])
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, token[7:]+`","n":1}`)
		}, http.StatusOK, "body", `{"echo":"MASK","n":1}`},
		{"in an error answer", func(w http.ResponseWriter, r *http.Request, token string) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"token `+token+` is not valid"}`)
		}, http.StatusUnauthorized, "body", `{"message":"token MASK is not valid"}`},
		{"gzipped although identity was asked", func(w http.ResponseWriter, r *http.Request, token string) {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			_, _ = io.WriteString(zw, `{"echo":"`+token+`"}`)
			_ = zw.Close()
		}, http.StatusOK, "body", `{"echo":"MASK"}`},
		{"in a trailer", func(w http.ResponseWriter, r *http.Request, token string) {
			w.Header().Set("Trailer", "X-Echo")
			_, _ = io.WriteString(w, `{}`)
			w.Header().Set("X-Echo", token)
		}, http.StatusOK, "trailer", `{}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reflect = tc.reflect
			before := g.Metric(t, "gateway_org_token_scrubbed_total", "upstream", "retool", "part", tc.part)
			raw := rawCall(t, g, "GET /api/v2/users HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "+g.Key.Raw+"\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
			if bytes.Contains(raw, []byte(g.OrgToken)) {
				t.Fatalf("the caller's answer carries the org token:\n%s", raw)
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
			if err != nil {
				t.Fatalf("read answer: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d; want %d", resp.StatusCode, tc.status)
			}
			if want := strings.ReplaceAll(tc.wantBody, "MASK", maskOf(g.OrgToken)); string(body) != want {
				t.Errorf("body %q; want %q", body, want)
			}
			if after := g.Metric(t, "gateway_org_token_scrubbed_total", "upstream", "retool", "part", tc.part); after != before+1 {
				t.Errorf("gateway_org_token_scrubbed_total{part=%q} went %v -> %v; want +1", tc.part, before, after)
			}
		})
	}
	t.Run("an encoding the gateway cannot read is refused", func(t *testing.T) {
		reflect = func(w http.ResponseWriter, r *http.Request, token string) {
			w.Header().Set("Content-Encoding", "br")
			_, _ = io.WriteString(w, "\x1b\x02"+token)
		}
		raw := rawCall(t, g, "GET /api/v2/users HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "+g.Key.Raw+"\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n")
		if bytes.Contains(raw, []byte(g.OrgToken)) {
			t.Fatalf("the caller's answer carries the org token:\n%s", raw)
		}
		if !bytes.HasPrefix(raw, []byte("HTTP/1.1 502")) || !bytes.Contains(raw, []byte("upstream-encoding")) {
			t.Fatalf("answer %q; want 502 upstream-encoding", raw)
		}
	})
	t.Run("an early hint (1xx) is not passed on, and the request id survives it", func(t *testing.T) {
		reflect = func(w http.ResponseWriter, r *http.Request, token string) {
			w.Header().Set("Link", "</x?t="+token+">; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Del("Link")
			_, _ = io.WriteString(w, `{}`)
		}
		raw := rawCall(t, g, "GET /api/v2/users HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "+g.Key.Raw+"\r\nX-Request-Id: hint-1\r\nConnection: close\r\n\r\n")
		if bytes.Contains(raw, []byte(g.OrgToken)) {
			t.Fatalf("the caller's answer carries the org token:\n%s", raw)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			t.Fatalf("read answer: %v", err)
		}
		if ids := resp.Header.Values("X-Request-Id"); resp.StatusCode != http.StatusOK || len(ids) != 1 || ids[0] != "hint-1" {
			t.Fatalf("first answer %d with X-Request-Id %q; want 200 with hint-1 once (no 1xx before it)", resp.StatusCode, ids)
		}
	})
	for _, ae := range gotEncoding {
		if ae != "identity" {
			t.Errorf("upstream was sent Accept-Encoding %q; want identity (so the answer can be read)", ae)
		}
	}
	if strings.Contains(g.Logs.Text(), g.OrgToken) {
		t.Error("a log line carries the org token")
	}
	if len(g.Logs.All()) == 0 || !strings.Contains(g.Logs.Text(), "carried the org token") {
		t.Error("no warning was logged for the scrubbed answers")
	}
}

// rawCall sends one request on its own connection and returns every byte of the answer.
func rawCall(t *testing.T, g *holesGateway, req string) []byte {
	t.Helper()
	c := dialGateway(t, g.Gateway)
	c.send(t, req)
	raw, err := io.ReadAll(c.r)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return raw
}

// maskOf is what the gateway writes in place of the token: the same length, so a
// Content-Length stays right.
func maskOf(token string) string {
	return "[redacted]" + strings.Repeat("*", len(token)-len("[redacted]"))
}

func itoa(n int) string { return strconv.Itoa(n) }
