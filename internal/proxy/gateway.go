package proxy

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/cache"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/copybuf"
	"github.com/budgetgw/gateway/internal/faillimit"
	"github.com/budgetgw/gateway/internal/metrics"
	"github.com/budgetgw/gateway/internal/openapi"
	"github.com/budgetgw/gateway/internal/ratefields"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
	"github.com/budgetgw/gateway/internal/scrub"
	"github.com/budgetgw/gateway/internal/secret"
	"github.com/budgetgw/gateway/internal/share"
	"github.com/budgetgw/gateway/internal/tracing"
)

// Options are what a Gateway is built from. Everything is passed in: no globals.
type Options struct {
	Config    *config.Config // upstreams, routes, budgets; callers and keys come through SetKeyring
	Gate      *budget.Gate
	Metrics   *metrics.Metrics
	Logger    *zap.Logger
	Transport http.RoundTripper // nil: a tuned http.Transport
	Now       func() time.Time  // nil: time.Now
	// AuthFailureLimit is how many times one bad key may fail from one address per
	// minute before that key is refused there unlogged (valid keys never are); 0: 30.
	AuthFailureLimit int
	// PublishInvalidation tells other replicas that a write made cached reads of path
	// stale (they call InvalidateLocal). nil: one replica, nothing to tell.
	PublishInvalidation func(upstream, path string)
	// OnAuthenticated is told the id of every key that authenticated (last-used marks).
	// It must not block.
	OnAuthenticated func(keyID string)
	// Tracing, when set, traces every request (see trace.go); nil: off, at no cost.
	Tracing *tracing.Provider
}

// Gateway is the http.Handler internal services call. Its configuration is an immutable
// snapshot swapped atomically, so a reload never disturbs a request in flight.
type Gateway struct {
	gate                *budget.Gate
	metrics             *metrics.Metrics
	log                 *zap.Logger
	transport           http.RoundTripper
	now                 func() time.Time
	maxBody             int64
	readTimeout         time.Duration // a request body must arrive within this once reading starts
	current             atomic.Pointer[snapshot]
	swap                sync.Mutex // serialises Reload and SetKeyring, which each replace part of the snapshot
	handler             http.Handler
	onAuth              func(keyID string)
	stdLog              *log.Logger            // the reverse proxy's own complaints, into zap
	reverse             *httputil.ReverseProxy // shared by every request
	buffers             *copybuf.Pool          // the reverse proxies' copy buffers
	authFails           *faillimit.Limiter
	publicHits          *faillimit.Limiter     // requests for public rows, per address: same limit
	publicProxy         *httputil.ReverseProxy // for public rows: no credentials at all
	flights             *share.Flights
	specs               openapi.Set // one document per upstream; they outlive reloads
	caches              sync.Map    // upstream name -> *cache.Cache
	publishInvalidation func(upstream, path string)
	drain               context.Context // cancelled when the process starts draining
	drainNow            context.CancelFunc
	tracer              *tracing.Provider // nil: tracing off
}

// snapshot is one configuration, fully built: nothing is parsed on the request path.
type snapshot struct {
	upstreams []*upstream // longest mount first
	keys      *auth.Keyring
	budgets   map[string]*budget.Spec // by upstream name
	series    *seriesCache            // metric children by (upstream, route, caller)

	keyHeaders []string // every upstream's key header: a caller key in any of them is stripped
}

// upstream is one fronted API, ready to serve.
type upstream struct {
	name        string
	mount       string // without trailing slash; "" for "/"
	base        *url.URL
	table       *routes.Table
	header      string // where keys travel, canonical form
	bearer      bool
	token       secret.Value
	authValue   secret.Value    // what the auth header carries: the token, after "Bearer " for the bearer scheme
	scrubber    *scrub.Scrubber // masks the token in answers; nil for a token too short to scrub
	tokenScopes scopes.Set
	spec        *budget.Spec
	lockout     time.Duration
	maxWait     time.Duration
	waitCeiling time.Duration // no wait is longer: caller max_wait, Prefer: wait
	timeout     time.Duration
	rateLimit   ratefields.Policy // the RateLimit fields' fixed parts, built once
	cacheTTL    time.Duration
	cacheLimits cache.Limits
}

// New builds a Gateway; it fails if anything in the configuration cannot be served.
func New(o Options) (*Gateway, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Transport == nil {
		o.Transport = newTransport()
	}
	if o.OnAuthenticated == nil {
		o.OnAuthenticated = func(string) {}
	}
	g := &Gateway{gate: o.Gate, metrics: o.Metrics, log: o.Logger, transport: o.Transport, now: o.Now, maxBody: o.Config.Server.MaxBodyBytes, onAuth: o.OnAuthenticated}
	g.setTracing(o.Tracing)
	g.readTimeout = o.Config.Server.ReadTimeout
	if g.readTimeout <= 0 {
		g.readTimeout = 30 * time.Second
	}
	snap, err := buildSnapshot(o.Config)
	if err != nil {
		return nil, err
	}
	for _, u := range snap.upstreams {
		// Series that alerts watch with increase() must exist before their first event.
		g.metrics.UpstreamLimited.WithLabelValues(u.name)
	}
	if err := g.syncSpecs(o.Config, snap); err != nil {
		return nil, err
	}
	g.current.Store(snap)
	if o.AuthFailureLimit <= 0 {
		o.AuthFailureLimit = 30
	}
	g.authFails = faillimit.New(o.AuthFailureLimit)
	g.publicHits = faillimit.New(o.AuthFailureLimit)
	g.flights = share.NewFlights()
	g.publishInvalidation = o.PublishInvalidation
	if g.publishInvalidation == nil {
		g.publishInvalidation = func(string, string) {}
	}
	g.drain, g.drainNow = context.WithCancel(context.Background())
	g.stdLog, _ = zap.NewStdLogAt(o.Logger, zap.WarnLevel) // fails only for an invalid level
	g.buffers = copybuf.New()
	g.reverse = g.newReverseProxy()
	g.publicProxy = g.newPublicProxy()
	g.handler = g.router()
	return g, nil
}

// Reload swaps in a new configuration's upstreams, routes, budgets and org tokens.
// Requests already in flight finish on the old ones. Callers and keys are not touched:
// SetKeyring replaces them (the keys.Manager merges the file's with dynamic ones).
func (g *Gateway) Reload(c *config.Config) error {
	snap, err := buildSnapshot(c)
	if err != nil {
		return err
	}
	if err := g.syncSpecs(c, snap); err != nil {
		return err
	}
	g.swap.Lock()
	defer g.swap.Unlock()
	snap.keys = g.current.Load().keys
	g.current.Store(snap)
	return nil
}

// SetKeyring replaces the callers and keys in force.
func (g *Gateway) SetKeyring(kr *auth.Keyring) {
	g.swap.Lock()
	defer g.swap.Unlock()
	next := *g.current.Load()
	next.keys = kr
	next.series = &seriesCache{} // keyed by the old keyring's callers
	g.current.Store(&next)
}

// Drain releases every request waiting for points with a 503 (retry elsewhere), so a
// shutdown does not hold them for their whole max_wait. Requests in flight upstream
// finish normally.
func (g *Gateway) Drain() { g.drainNow() }

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// Budgets implements metrics.BudgetSource.
func (g *Gateway) Budgets() map[string]*budget.Spec { return g.current.Load().budgets }

// Store implements metrics.BudgetSource.
func (g *Gateway) Store() budget.Store { return g.gate.Store() }

// Keyring returns the callers and keys in force.
func (g *Gateway) Keyring() *auth.Keyring { return g.current.Load().keys }

// buildSnapshot builds the upstreams, routes and budgets of c. Callers and keys are the
// keys.Manager's (SetKeyring): a new gateway knows none until it applies them (the app
// does, before serving), and a reload keeps those in force.
func buildSnapshot(c *config.Config) (*snapshot, error) {
	none, _ := auth.NewKeyring(nil) // no callers: cannot fail
	snap := &snapshot{keys: none, budgets: map[string]*budget.Spec{}, series: &seriesCache{}}
	specs := map[string]*budget.Spec{}
	for i, uc := range c.Upstreams {
		u, err := buildUpstream(uc, specs)
		if err != nil {
			return nil, fmt.Errorf("upstreams[%d] (%s): %w", i, uc.Name, err)
		}
		snap.upstreams = append(snap.upstreams, u)
		snap.keyHeaders = append(snap.keyHeaders, u.header)
		snap.budgets[u.name] = u.spec
	}
	sort.SliceStable(snap.upstreams, func(i, j int) bool { return len(snap.upstreams[i].mount) > len(snap.upstreams[j].mount) })
	return snap, nil
}

func buildUpstream(uc config.Upstream, specs map[string]*budget.Spec) (*upstream, error) {
	base, err := url.Parse(uc.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("base_url: %w", err)
	}
	// https://host/ and https://host mean the same; forwarding must not make //api/v2.
	base.Path, base.RawPath = strings.TrimSuffix(base.Path, "/"), strings.TrimSuffix(base.RawPath, "/")
	table, err := uc.Table() // compiled once per configuration: Validate built it
	if err != nil {
		return nil, err
	}
	token, err := uc.Auth.Source.Load()
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	tokenScopes, err := scopes.ParseSet(uc.TokenScopes)
	if err != nil {
		return nil, fmt.Errorf("token_scopes: %w", err)
	}
	b := uc.Budget
	spec := specs[b.Name]
	if spec == nil {
		// Hold: an unanswered call is released Window after the upstream timeout, plus
		// slack for the time between admission and sending.
		spec = &budget.Spec{Name: b.Name, Capacity: b.Capacity, Window: b.Window, Reserve: b.Reserve, Hold: uc.Timeout + 5*time.Second}
		if err := spec.Validate(); err != nil {
			return nil, fmt.Errorf("budget: %w", err)
		}
		specs[b.Name] = spec
	} else if uc.Timeout+5*time.Second > spec.Hold {
		spec.Hold = uc.Timeout + 5*time.Second // the longest timeout of the sharers bounds them all
	}
	ceiling := b.MaxWaitCeiling
	if ceiling <= 0 {
		ceiling = 2 * time.Minute // a config not through config.Parse: its default
	}
	return &upstream{
		name:        uc.Name,
		mount:       strings.TrimSuffix(uc.Mount, "/"),
		base:        base,
		table:       table,
		header:      http.CanonicalHeaderKey(uc.Auth.Header),
		bearer:      uc.Auth.Scheme == "bearer",
		token:       token,
		authValue:   authValue(uc.Auth.Scheme == "bearer", token),
		scrubber:    scrub.New(token.Reveal()),
		tokenScopes: tokenScopes,
		spec:        spec,
		lockout:     b.LockoutOrZero(),
		maxWait:     b.MaxWaitOrZero(),
		waitCeiling: max(ceiling, b.MaxWaitOrZero()),
		timeout:     uc.Timeout,
		cacheTTL:    uc.Cache.TTL,
		cacheLimits: cache.Limits{MaxEntries: uc.Cache.MaxEntries, MaxBytes: uc.Cache.MaxBytes},
		rateLimit:   ratefields.NewPolicy(spec.Name, spec.Capacity, spec.Window),
	}, nil
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// authValue is the auth header's value, built once per configuration rather than per call.
func authValue(bearer bool, token secret.Value) secret.Value {
	if bearer {
		return secret.New("Bearer " + token.Reveal())
	}
	return token
}
