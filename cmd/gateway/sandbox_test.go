package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// sandboxOutput collects what the command prints and signals when the
// banner, with the address, is complete.
type sandboxOutput struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (o *sandboxOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if strings.Contains(o.buf.String(), "Press Ctrl-C") {
		o.once.Do(func() { close(o.ready) })
	}
	return len(p), nil
}

func (o *sandboxOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

var sandboxAddr = regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/api/v2`)

func TestSandboxCommandServesRetoolWithItsBudgetAndScopes(t *testing.T) {
	t.Setenv("SANDBOX_TEST_TOKEN", "sbx-token")
	out, logs := &sandboxOutput{ready: make(chan struct{})}, &sandboxOutput{ready: make(chan struct{})}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- sandboxCmd(ctx, []string{"-listen", "127.0.0.1:0", "-token-env", "SANDBOX_TEST_TOKEN",
			"-capacity", "10", "-window", "60s", "-lockout", "60s", "-scopes", "users:read, groups:write",
			"-latency", "0", "-seed", "7"}, out, logs)
	}()
	select {
	case <-out.ready:
	case err := <-done:
		t.Fatalf("sandbox returned before serving: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatalf("no banner within 10 s: %s", out)
	}
	m := sandboxAddr.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no address in %q", out)
	}
	base := "http://" + m[1]
	send := func(method, path, token string) (int, map[string]any, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{}`))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		return resp.StatusCode, body, resp.Header
	}
	steps := []struct {
		method, path, token string
		want                int
		msg                 string
	}{
		{"GET", "/api/v2/users?limit=3", "sbx-token", 200, ""},              // 2 points
		{"GET", "/api/v2/users", "wrong", 401, "Invalid"},                   // refused before any point
		{"POST", "/api/v2/users", "sbx-token", 403, "users:write"},          // the token lacks the scope
		{"GET", "/api/v2/groups", "sbx-token", 200, ""},                     // 7 points: write implies read
		{"GET", "/api/v2/users/user_nobody", "sbx-token", 404, "not found"}, // 9 points
		{"GET", "/api/v2/folders", "sbx-token", 403, "folders:read"},
		{"GET", "/api/v2/users", "sbx-token", 429, "Rate limit"}, // 11 > 10: the lockout starts
		{"GET", "/api/v2/groups", "sbx-token", 429, "Rate limit"},
	}
	for i, st := range steps {
		status, body, header := send(st.method, st.path, st.token)
		msg, _ := body["message"].(string)
		if status != st.want || !strings.Contains(msg, st.msg) {
			t.Fatalf("step %d %s %s: %d %v, want %d mentioning %q", i, st.method, st.path, status, body, st.want, st.msg)
		}
		if status == 200 && i == 0 {
			if data, _ := body["data"].([]any); len(data) != 3 || body["has_more"] != true {
				t.Fatalf("a first page of 3 users, got %v", body)
			}
		}
		if status == 429 && header.Get("Retry-After") == "" {
			t.Fatal("a 429 without Retry-After")
		}
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sandbox returned %v after its context ended, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop within 10 s of its context ending")
	}
	if !strings.Contains(logs.String(), "sandbox: GET /api/v2/users?limit=3 200") {
		t.Errorf("the call log lacks the first call:\n%s", logs)
	}
}

func TestSandboxCommandRefusesBadFlagsAndAMissingToken(t *testing.T) {
	t.Setenv("SANDBOX_TEST_EMPTY", "")
	cases := []struct {
		name  string
		args  []string
		usage bool
		msg   string
	}{
		{"a latency that is not a range", []string{"-latency", "fast"}, true, "-latency"},
		{"a latency range upside down", []string{"-latency", "40ms-5ms"}, true, "-latency"},
		{"a fail rate over one", []string{"-fail-rate", "2"}, true, "-fail-rate"},
		{"a scope that does not parse", []string{"-scopes", "users:re ad"}, true, "-scopes"},
		{"no token in the environment", []string{"-token-env", "SANDBOX_TEST_EMPTY"}, false, "SANDBOX_TEST_EMPTY is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := sandboxCmd(t.Context(), append([]string{"-listen", "127.0.0.1:0"}, c.args...), io.Discard, &stderr)
			var ue usageError
			if err == nil || errors.As(err, &ue) != c.usage || !strings.Contains(err.Error()+stderr.String(), c.msg) {
				t.Fatalf("err %v (usage error: %v), stderr %q; want one mentioning %q", err, errors.As(err, &ue), stderr.String(), c.msg)
			}
		})
	}
}
