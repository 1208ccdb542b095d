package openapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

// Defaults for the zero Options fields.
const (
	DefaultRefresh = 10 * time.Minute
	DefaultTimeout = 30 * time.Second
)

// Where the document is served, below the mount; Retool serves it at the first.
var specPaths = []string{BasePath + "/spec", BasePath + "/spec.json"}

// Routing is what decides the served document besides the caller: it changes with a
// configuration reload (SetRouting), while the fetched document stays.
type Routing struct {
	Table       *routes.Table // the upstream's compiled routes
	TokenScopes scopes.Set    // what the org token may call (token_scopes)
	Mount       string        // the upstream's mount on the gateway, e.g. "/" or "/retool"
	// PublicURL is the gateway's URL for this mount (public_url), e.g.
	// https://retool-gateway.internal; the document's server is it plus BasePath.
	// Empty: the server is derived from each request's Host and TLS.
	PublicURL string
}

// Options are what a Spec is built from.
type Options struct {
	Upstream string // the upstream's name, for logs and the fallback's title
	Routing
	// Fetch gets the upstream's document. It owns the org token and the budget: the
	// caller decides whether a fetch costs points (spec.cost). Required.
	Fetch   func(ctx context.Context) ([]byte, error)
	Refresh time.Duration    // between fetches; 0: DefaultRefresh
	Timeout time.Duration    // per fetch; 0: DefaultTimeout
	Logger  *zap.Logger      // nil: no logs
	Unknown prometheus.Gauge // gateway_routes_unknown_operations{upstream}; nil: not exported
	Now     func() time.Time // nil: time.Now
}

// Source says where the served document came from.
const (
	SourceUpstream = "upstream" // the last fetch succeeded
	SourceStale    = "stale"    // the last fetch failed; the one before is served
	SourceFallback = "fallback" // no fetch ever succeeded; built from the route table
)

// Spec serves one upstream's OpenAPI document. It is safe for concurrent use.
type Spec struct {
	upstream string
	fetch    func(context.Context) ([]byte, error)
	refresh  time.Duration
	timeout  time.Duration
	log      *zap.Logger
	unknown  prometheus.Gauge
	now      func() time.Time

	mu         sync.Mutex // serialises the writers of cur: Refresh and SetRouting
	fetched    *document  // the last document fetched; nil until a fetch succeeds
	fetchedSum [32]byte   // its SHA-256, to skip parsing an unchanged one
	fetchedAt  time.Time
	reported   string // the unknown operations last logged, to log only changes
	cur        atomic.Pointer[state]
}

// state is everything Serve reads, swapped whole.
type state struct {
	routing routing
	bound   *binding
	source  string
	views   *viewCache
}

// routing is a checked Routing, with what serving needs precomputed.
type routing struct {
	Routing
	mount  string // without a trailing slash; "" for "/"
	server string // the fixed server URL when PublicURL is set
}

// New checks the options and builds the fallback document, so a Spec serves from the
// start. It does not fetch: Run (or Refresh) does.
func New(o Options) (*Spec, error) {
	var errs []error
	if o.Fetch == nil {
		errs = append(errs, errors.New("fetch: is nil"))
	}
	if o.Refresh < 0 || o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("refresh %v, timeout %v: must not be negative", o.Refresh, o.Timeout))
	}
	rt, err := checkRouting(o.Routing)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("openapi %s: %w", o.Upstream, err)
	}
	s := &Spec{upstream: o.Upstream, fetch: o.Fetch, refresh: o.Refresh, timeout: o.Timeout, log: o.Logger, unknown: o.Unknown, now: o.Now}
	if s.refresh == 0 {
		s.refresh = DefaultRefresh
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.log = s.log.With(zap.String("upstream", o.Upstream))
	st, err := s.build(rt, SourceFallback)
	if err != nil {
		return nil, fmt.Errorf("openapi %s: %w", o.Upstream, err)
	}
	s.cur.Store(st)
	return s, nil
}

func checkRouting(r Routing) (routing, error) {
	var errs []error
	if r.Table == nil {
		errs = append(errs, errors.New("table: is nil"))
	}
	if r.Mount != "" && !strings.HasPrefix(r.Mount, "/") {
		errs = append(errs, fmt.Errorf("mount: %q does not start with /", r.Mount))
	}
	rt := routing{Routing: r, mount: strings.TrimSuffix(r.Mount, "/")}
	if r.PublicURL != "" {
		u, err := url.Parse(r.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("public_url: %q is not an absolute http(s) URL", r.PublicURL))
		}
		rt.server = strings.TrimSuffix(r.PublicURL, "/") + BasePath
	}
	return rt, errors.Join(errs...)
}

// SetRouting applies a reloaded configuration: the fetched document (or the fallback)
// is decided again against the new table and token scopes, and cached views are dropped.
func (s *Spec) SetRouting(r Routing) error {
	rt, err := checkRouting(r)
	if err != nil {
		return fmt.Errorf("openapi %s: %w", s.upstream, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.build(rt, s.cur.Load().source)
	if err != nil {
		return fmt.Errorf("openapi %s: %w", s.upstream, err)
	}
	s.cur.Store(st)
	return nil
}

// build decides the current document (fetched, else the fallback) against rt.
// It runs under mu, or before the Spec is shared.
func (s *Spec) build(rt routing, source string) (*state, error) {
	if s.fetched != nil {
		b := bind(s.fetched, rt.Table, rt.TokenScopes)
		s.report(b)
		return &state{routing: rt, bound: b, source: source, views: newViewCache(cacheSize)}, nil
	}
	data, err := fallbackDocument(s.upstream, rt.Table)
	if err != nil {
		return nil, err
	}
	doc, err := parseDocument(data)
	if err != nil {
		return nil, fmt.Errorf("the fallback document: %w", err)
	}
	return &state{routing: rt, bound: bind(doc, rt.Table, rt.TokenScopes), source: SourceFallback, views: newViewCache(cacheSize)}, nil
}

// Run fetches the document now and then every Refresh until ctx ends. Failures are
// logged and leave the last good document (or the fallback) in service.
func (s *Spec) Run(ctx context.Context) {
	tick := time.NewTicker(s.refresh)
	defer tick.Stop()
	for {
		_ = s.Refresh(ctx) // logged by Refresh
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Refresh fetches the document once. On success it replaces the served one and checks
// the route table against it; on failure the served document stays, marked stale.
func (s *Spec) Refresh(ctx context.Context) error {
	fetchCtx, cancel := context.WithTimeout(ctx, s.timeout)
	data, err := s.fetch(fetchCtx)
	cancel()
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("openapi %s: refresh: %w", s.upstream, ctx.Err()) // shutting down: not the upstream's fault
	}
	sum := sha256.Sum256(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	if err == nil && s.fetched != nil && sum == s.fetchedSum {
		// Unchanged, as on most refreshes: keep the rendered views and their ETags.
		next := *cur
		next.source, s.fetchedAt = SourceUpstream, s.now()
		s.cur.Store(&next)
		return nil
	}
	var doc *document
	if err == nil {
		doc, err = parseDocument(data)
	}
	if err != nil {
		next := *cur
		if s.fetched != nil {
			next.source = SourceStale
		}
		s.cur.Store(&next) // same views: the served document has not changed
		s.log.Warn("could not refresh the upstream's OpenAPI document; serving the "+next.source+" one",
			zap.Error(err), zap.Duration("age", s.age()))
		return fmt.Errorf("openapi %s: refresh: %w", s.upstream, err)
	}
	s.fetched, s.fetchedSum, s.fetchedAt = doc, sum, s.now()
	b := bind(doc, cur.routing.Table, cur.routing.TokenScopes)
	s.report(b)
	s.cur.Store(&state{routing: cur.routing, bound: b, source: SourceUpstream, views: newViewCache(cacheSize)})
	s.log.Debug("fetched the upstream's OpenAPI document", zap.Int("operations", len(doc.ops)))
	return nil
}

// age is how old the served fetched document is; 0 when there is none.
func (s *Spec) age() time.Duration {
	if s.fetched == nil {
		return 0
	}
	return s.now().Sub(s.fetchedAt)
}

// report exports how many published operations the table does not route, and logs
// them when the list changes (not on every refresh). They stay refused.
func (s *Spec) report(b *binding) {
	if s.unknown != nil {
		s.unknown.Set(float64(len(b.unknown)))
	}
	list := strings.Join(b.unknown, ", ")
	if list == s.reported {
		return
	}
	s.reported = list
	if len(b.unknown) == 0 {
		s.log.Info("the route table covers every operation the upstream publishes")
		return
	}
	shown := b.unknown
	if len(shown) > 20 {
		shown = shown[:20] // a log line, not a dump; the metric has the count
	}
	s.log.Warn("the upstream publishes operations the route table does not know; they are refused until routes are added",
		zap.Int("count", len(b.unknown)), zap.Strings("operations", shown))
}

// IsSpecRequest reports whether the gateway answers this request itself with the
// document: GET or HEAD of BasePath/spec or BasePath/spec.json below the mount, in the
// canonical path form (routes.Canonical). Like route matching, it ignores ASCII case
// and one trailing slash.
func IsSpecRequest(method, canonicalPath string) bool {
	if method != "GET" && method != "HEAD" {
		return false
	}
	p := strings.TrimSuffix(canonicalPath, "/")
	for _, sp := range specPaths {
		if strings.EqualFold(p, sp) {
			return true
		}
	}
	return false
}
