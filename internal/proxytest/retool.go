package proxytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/routes"
	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/sandbox"
	"github.com/budgetgw/gateway/internal/tracing"
)

// The callers of the Retool fixture, by the id of the key a test sends.
const (
	Reader         = "reader-1"   // caller "reader": users:read
	ReaderDisabled = "reader-off" // caller "reader", key disabled (423)
	ReaderExpired  = "reader-old" // caller "reader", key expired in 2020 (401)
	Writer         = "writer-1"   // caller "writer": users:write, groups:write
	Admin          = "admin-1"    // caller "admin": * (everything the org token may do)
	Capped         = "capped-1"   // caller "capped": users:read, at most 2 points per window
)

// NoWait is the smallest max_wait the configuration can express: a zero max_wait is
// replaced by the 5 s default, so "refuse at once" is spelt one nanosecond.
const NoWait = time.Nanosecond

// RetoolOptions shape the Retool fixture. Zero fields take the values noted.
type RetoolOptions struct {
	Capacity int64         // gateway budget points; 0: 10000 (out of the way)
	Window   time.Duration // 0: 1s
	Lockout  time.Duration // 0: the window
	MaxWait  time.Duration // 0: NoWait

	// The simulated upstream enforces its own budget: the gateway's unless set here, so a
	// test can make the upstream stricter than the gateway believes it is.
	UpstreamCapacity int64
	UpstreamWindow   time.Duration
	UpstreamLockout  time.Duration

	TokenScopes  []string      // the org token's grants; nil: ["*"]
	MaxBodyBytes int64         // 0: the default (10 MiB)
	Timeout      time.Duration // upstream timeout; 0: 5s
	CacheTTL     time.Duration // the upstream's cache TTL; 0: off
	Spec         bool          // serve /api/v2/spec (it fetches from the upstream at start)

	// BaseURL, when set, is the upstream instead of a simulated Retool.
	BaseURL   string
	Store     budget.Store
	Transport http.RoundTripper // to the upstream; nil: the gateway's own
	Tracing   *tracing.Provider // nil: off
	Logger    *zap.Logger       // nil: observed (Logs); see Options.Logger
}

// Retool is a gateway in front of a simulated Retool API v2 (the retool-v2 profile), with
// the callers named above.
type Retool struct {
	*Gateway
	Sandbox  *sandbox.Server // nil when RetoolOptions.BaseURL was set
	OrgToken string
	Keys     map[string]Key // by key id
}

// Key returns the raw key with the given id.
func (r *Retool) Key(id string) string {
	k, ok := r.Keys[id]
	if !ok {
		panic("proxytest: no key " + id)
	}
	return k.Raw
}

// StartRetool starts the simulated upstream and the gateway in front of it.
func StartRetool(t testing.TB, o RetoolOptions) *Retool {
	t.Helper()
	o = o.withDefaults()
	r := &Retool{OrgToken: "retool_org_" + randomHex(16), Keys: map[string]Key{}}
	for _, id := range []string{Reader, ReaderDisabled, ReaderExpired, Writer, Admin, Capped} {
		r.Keys[id] = NewKey(id)
	}
	base := o.BaseURL
	if base == "" {
		r.Sandbox, base = StartSandbox(t, sandbox.Options{
			Token:    r.OrgToken,
			Capacity: o.UpstreamCapacity,
			Window:   o.UpstreamWindow,
			Lockout:  o.UpstreamLockout,
		}, "retool-v2")
	}
	scopes, _ := json.Marshal(o.TokenScopes) // JSON is YAML's flow style
	k := r.Keys
	doc := fmt.Sprintf(`
server: {listen: "127.0.0.1:0", max_body_bytes: %d, shutdown_grace: 1s}
upstreams:
  - name: retool
    mount: /
    base_url: %q
    profile: retool-v2
    auth: {scheme: bearer, token_file: %q}
    token_scopes: %s
    timeout: %s
    cache: {ttl: %s}
    spec: {enabled: %t}
    budget: {capacity: %d, window: %s, lockout: %s, max_wait: %s}
callers:
  - name: reader
    scopes: [users:read]
    keys:
      - {id: %s, sha256: %q}
      - {id: %s, sha256: %q, disabled: true}
      - {id: %s, sha256: %q, expires: 2020-01-01T00:00:00Z}
  - name: writer
    scopes: [users:write, groups:write]
    keys: [{id: %s, sha256: %q}]
  - name: admin
    scopes: ["*"]
    priority: critical
    keys: [{id: %s, sha256: %q}]
  - name: capped
    scopes: [users:read]
    max_points: 2
    keys: [{id: %s, sha256: %q}]
`, o.MaxBodyBytes, base, SecretFile(t, r.OrgToken), scopes, o.Timeout, o.CacheTTL, o.Spec,
		o.Capacity, o.Window, o.Lockout, o.MaxWait,
		Reader, k[Reader].SHA256, ReaderDisabled, k[ReaderDisabled].SHA256, ReaderExpired, k[ReaderExpired].SHA256,
		Writer, k[Writer].SHA256, Admin, k[Admin].SHA256, Capped, k[Capped].SHA256)
	r.Gateway = Start(t, Options{Config: doc, Store: o.Store, Transport: o.Transport, Tracing: o.Tracing, Logger: o.Logger})
	return r
}

func (o RetoolOptions) withDefaults() RetoolOptions {
	if o.Capacity == 0 {
		o.Capacity = 10000
	}
	if o.Window == 0 {
		o.Window = time.Second
	}
	if o.Lockout == 0 {
		o.Lockout = o.Window
	}
	if o.MaxWait == 0 {
		o.MaxWait = NoWait
	}
	if o.UpstreamCapacity == 0 {
		o.UpstreamCapacity = o.Capacity
	}
	if o.UpstreamWindow == 0 {
		o.UpstreamWindow = o.Window
	}
	if o.UpstreamLockout == 0 {
		o.UpstreamLockout = o.Lockout
	}
	if o.TokenScopes == nil {
		o.TokenScopes = []string{"*"}
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 10 << 20
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	return o
}

// StartSandbox serves a simulated upstream that charges what the named profile's routes
// cost, until the test ends, and returns it with its base URL.
func StartSandbox(t testing.TB, o sandbox.Options, profile string) (*sandbox.Server, string) {
	t.Helper()
	o.UseRoutes(Table(t, profile))
	s := sandbox.New(o)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// Table compiles a built-in profile's routes.
func Table(t testing.TB, profile string) *routes.Table {
	t.Helper()
	table, err := routes.Build(profile, profile, nil)
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
