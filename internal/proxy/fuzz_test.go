package proxy_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/zap/zaptest/observer"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

var fuzzMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// FuzzGatewayPath sends arbitrary request targets through the real pipeline as a caller
// holding users:read, and checks the one invariant path tricks attack: whatever reaches
// the upstream is a path that matches, by itself, the very route the gateway checked, and
// that route is one the caller's scopes allow. The upstream gets a fixed point (its path
// canonicalises and re-spells to itself), so it has nothing left to resolve differently.
// Anything not forwarded must be a 4xx the gateway chose, never a 5xx or a panic.
func FuzzGatewayPath(f *testing.F) {
	up := newRecordingUpstream(f)
	orgToken := "retool_org_fuzz_token"
	key := proxytest.NewKey("fuzz-1")
	gw := proxytest.Build(f, proxytest.Options{Config: fmt.Sprintf(`
upstreams:
  - name: retool
    base_url: %q
    profile: retool-v2
    auth: {scheme: bearer, token_file: %q}
    budget: {capacity: 1000000000000, window: 1s, max_wait: 1ns}
callers:
  - name: reader
    scopes: [users:read]
    keys: [{id: fuzz-1, sha256: %q}]
`, up.URL, proxytest.SecretFile(f, orgToken), key.SHA256)})
	table := proxytest.Table(f, "retool-v2")
	allowed, err := scopes.ParseSet([]string{"users:read"})
	if err != nil {
		f.Fatal(err)
	}
	var seq atomic.Int64

	f.Add(uint8(0), "/api/v2/users")
	f.Add(uint8(0), "/api/v2/users/../groups")
	f.Add(uint8(2), "/api/v2/users/%2e%2e/permissions/grant")
	f.Fuzz(func(t *testing.T, m uint8, target string) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		for variant, u := range requestURLs(target) {
			id := fmt.Sprintf("fz-%d", seq.Add(1))
			req := httptest.NewRequest(method, "/", nil)
			req.URL, req.RequestURI = u, target
			req.Header.Set("Authorization", "Bearer "+key.Raw)
			req.Header.Set("X-Request-Id", id)
			rec := httptest.NewRecorder()

			gw.Handler.ServeHTTP(rec, req)

			checked := checkedRoute(gw.Logs.TakeAll(), id)
			got, forwarded := up.take(id)
			where := fmt.Sprintf("%s %q (variant %d: Path %q RawPath %q)", method, target, variant, u.Path, u.RawPath)
			if !forwarded {
				if rec.Code < 400 || rec.Code >= 500 {
					t.Fatalf("%s: not forwarded, yet answered %d: %s", where, rec.Code, rec.Body)
				}
				continue
			}
			path, _, _ := strings.Cut(got.uri, "?")
			canonical, err := routes.Canonical(path)
			if err != nil {
				t.Fatalf("%s: upstream got %q, which is not canonical: %v", where, got.uri, err)
			}
			rt, ok := table.Match(got.method, canonical)
			switch {
			case !ok:
				t.Fatalf("%s: upstream got %s %q, which matches no route", where, got.method, got.uri)
			case rt.ID != checked:
				t.Fatalf("%s: the gateway checked %q but the upstream's path %q matches %q", where, checked, got.uri, rt.ID)
			case !allowed.Allows(rt.Scope):
				t.Fatalf("%s: forwarded to %s, which needs %s; the caller holds users:read", where, rt.ID, rt.Scope)
			case rt.ForwardPath(canonical) != path:
				t.Fatalf("%s: upstream path %q is not a fixed point (re-spelt %q)", where, path, rt.ForwardPath(canonical))
			case got.method != method:
				t.Fatalf("%s: upstream got method %s", where, got.method)
			case got.auth != "Bearer "+orgToken:
				t.Fatalf("%s: upstream got Authorization %q, want the org token", where, got.auth)
			case rec.Code != http.StatusOK:
				t.Fatalf("%s: forwarded and answered 200 upstream, yet the caller got %d", where, rec.Code)
			}
		}
	})
}

// requestURLs is how a target can arrive at the handler: parsed from the request line by
// net/http, with Path set alone (by a handler in front, say), and with RawPath set to
// the input whether or not it is a valid spelling of Path.
func requestURLs(target string) []*url.URL {
	var out []*url.URL
	if u, err := url.ParseRequestURI(target); err == nil {
		out = append(out, u)
	}
	out = append(out, &url.URL{Path: target})
	if p, err := url.PathUnescape(target); err == nil {
		out = append(out, &url.URL{Path: p, RawPath: target})
	}
	return out
}

// checkedRoute is the route the access-log line of request id names ("none" when unrouted).
func checkedRoute(entries []observer.LoggedEntry, id string) string {
	for _, e := range entries {
		m := e.ContextMap()
		if e.Message == "request" && m["request_id"] == id {
			r, _ := m["route"].(string)
			return r
		}
	}
	return ""
}

// recordingUpstream answers 200 to everything and remembers, by X-Request-Id, the
// request target exactly as it came off the wire.
type recordingUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]received
}

type received struct{ method, uri, auth string }

func newRecordingUpstream(tb testing.TB) *recordingUpstream {
	u := &recordingUpstream{seen: map[string]received{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.seen[r.Header.Get("X-Request-Id")] = received{r.Method, r.RequestURI, r.Header.Get("Authorization")}
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true}`))
	}))
	tb.Cleanup(u.Close)
	return u
}

func (u *recordingUpstream) take(id string) (received, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	r, ok := u.seen[id]
	delete(u.seen, id)
	return r, ok
}
