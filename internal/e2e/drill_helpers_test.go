package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/sandbox"
)

// Fault drills: each starts real gateways on loopback, breaks something (the process is
// told to stop, Redis freezes, the upstream misbehaves, a client walks away) and judges
// the outcome by what callers got back and what the upstream recorded. They must pass on
// a busy 2-core machine, so they wait on conditions (settle), never on fixed sleeps.

// drillGateway is one gateway under test (proxytest.Start) with the drill caller's key.
// BeginStop is what main does on SIGTERM.
type drillGateway struct {
	*proxytest.Gateway
	key string // the caller key (caller "drill", every scope)
}

// drillOptions describe a drill gateway; zero fields take the values noted.
type drillOptions struct {
	upstream string        // base URL
	redisURL string        // empty: memory store
	replicas int           // redis.replicas; 0: 1
	onFail   string        // redis.on_failure; empty: local_share
	capacity int64         // 0: 1000
	window   time.Duration // 0: 1s
	lockout  time.Duration // 0: the window
	maxWait  time.Duration // 0: 1ns (refuse at once)
	timeout  time.Duration // upstream timeout; 0: 2s
	grace    time.Duration // shutdown_grace; 0: 1s
	redisTO  time.Duration // redis.timeout; 0: 100ms
	keyID    string        // 0: drill-1
	keySum   string        // the key's SHA-256; empty: a fresh key is minted
	keyRaw   string
}

func (o drillOptions) withDefaults() drillOptions {
	if o.replicas == 0 {
		o.replicas = 1
	}
	if o.onFail == "" {
		o.onFail = "local_share"
	}
	if o.capacity == 0 {
		o.capacity = 1000
	}
	if o.window == 0 {
		o.window = time.Second
	}
	if o.lockout == 0 {
		o.lockout = o.window
	}
	if o.maxWait == 0 {
		o.maxWait = time.Nanosecond
	}
	if o.timeout == 0 {
		o.timeout = 2 * time.Second
	}
	if o.grace == 0 {
		o.grace = time.Second
	}
	if o.redisTO == 0 {
		o.redisTO = 100 * time.Millisecond
	}
	if o.keyID == "" {
		o.keyID = "drill-1"
	}
	if o.keySum == "" {
		k, sum := auth.NewKey(o.keyID)
		o.keyRaw, o.keySum = k.Reveal(), sum
	}
	return o
}

// startDrillGateway builds and serves a gateway; the test stops it with Stop (or the
// cleanup does).
func startDrillGateway(t *testing.T, o drillOptions) *drillGateway {
	t.Helper()
	o = o.withDefaults()
	redisLine := ""
	if o.redisURL != "" {
		redisLine = fmt.Sprintf("redis: {url: %q, replicas: %d, timeout: %s, on_failure: %s}\n", o.redisURL, o.replicas, o.redisTO, o.onFail)
	}
	doc := fmt.Sprintf(`
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0", shutdown_grace: %s}
%supstreams:
  - name: retool
    base_url: %q
    profile: retool-v2
    spec: {enabled: false} # no background fetch of the OpenAPI document: every call is the test's
    auth: {token_file: %q}
    timeout: %s
    budget: {capacity: %d, window: %s, lockout: %s, max_wait: %s}
callers:
  - {name: drill, scopes: ["*"], keys: [{id: %s, sha256: %q}]}
`, o.grace, redisLine, o.upstream, drillTokenFile(t), o.timeout, o.capacity, o.window, o.lockout, o.maxWait, o.keyID, o.keySum)
	g := proxytest.Start(t, proxytest.Options{Config: doc, Grace: o.grace})
	return &drillGateway{Gateway: g, key: o.keyRaw}
}

// drillOrgToken is what every drill upstream accepts.
const drillOrgToken = "org-token-drill-7f3a"

func drillTokenFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "org-token")
	if err := os.WriteFile(p, []byte(drillOrgToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// drillSeq makes every call distinct: identical reads in flight together are coalesced
// into one upstream call, and a drill wants each call to make its own way.
var drillSeq atomic.Int64

// request builds a caller request to the gateway, with a query no other call has.
func (g *drillGateway) request(ctx context.Context, method, path string) *http.Request {
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"object_type":"folder"}`)
	}
	target := fmt.Sprintf("%s%s?n=%d", g.URL, path, drillSeq.Add(1))
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		panic(err) // fixed, well-formed inputs
	}
	req.Header.Set("Authorization", "Bearer "+g.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// drillResult is what one caller request got.
type drillResult struct {
	start    time.Time
	elapsed  time.Duration // until the body was read in full, or the error
	status   int           // 0: no response
	header   http.Header
	body     []byte
	err      error // transport error before the response, or while reading the body
	bodyErr  bool  // the error came after the headers (a cut answer)
	sentLate bool  // sent after the gateway began draining
}

func drillSend(client *http.Client, req *http.Request) drillResult {
	o := drillResult{start: time.Now()}
	resp, err := client.Do(req)
	if err != nil {
		o.err, o.elapsed = err, time.Since(o.start)
		return o
	}
	defer resp.Body.Close()
	o.status, o.header = resp.StatusCode, resp.Header
	o.body, o.err = io.ReadAll(resp.Body)
	o.bodyErr = o.err != nil
	o.elapsed = time.Since(o.start)
	return o
}

// problemType is the slug of the RFC 9457 type of a complete problem answer: served as
// application/problem+json, with a type, title, detail (what to do) and request id, and
// the response's own status. Anything else, a bare error page included, gives "".
func (o drillResult) problemType() string {
	if o.header.Get("Content-Type") != "application/problem+json" {
		return ""
	}
	var p struct {
		Type, Title, Detail string
		Status              int
		RequestID           string `json:"request_id"`
	}
	if json.Unmarshal(o.body, &p) != nil || p.Title == "" || p.Detail == "" || p.RequestID == "" || p.Status != o.status {
		return ""
	}
	slug, ok := strings.CutPrefix(p.Type, "urn:budgetgw:problem:")
	if !ok {
		return ""
	}
	return slug
}

// settleUntil polls cond until it holds, failing the test after limit. It replaces sleeps:
// on a busy machine it waits as long as needed and no longer.
func settleUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// drillOpenFDs counts this process's open file descriptors (sockets included); -1 where
// /proc is not available.
func drillOpenFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// drillSandbox serves the simulated Retool upstream with the drill token, on loopback,
// until the test ends.
func drillSandbox(t *testing.T, o sandbox.Options) (*sandbox.Server, string) {
	t.Helper()
	o.Token = drillOrgToken
	return proxytest.StartSandbox(t, o, "retool-v2")
}

// drillClient is a caller's HTTP client; its idle connections close with the test.
func drillClient(t *testing.T, conns int) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}
