package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/admin"
	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/keys"
	"github.com/budgetgw/gateway/internal/metrics"
	"github.com/budgetgw/gateway/internal/proxy"
	"github.com/budgetgw/gateway/internal/secret"
	"github.com/budgetgw/gateway/internal/status"
	"github.com/budgetgw/gateway/internal/tracing"
)

// Options carry what the process provides. Zero values get sensible defaults.
type Options struct {
	Logger    *zap.Logger
	Registry  *prometheus.Registry // nil: a fresh one with process and Go collectors
	Transport http.RoundTripper    // to the upstreams; nil: the proxy's own
	Store     budget.Store         // nil: built from the config (memory or Redis)
	Keys      keys.Store           // nil: built from the config (memory or Redis)
	Tracing   *tracing.Provider    // nil: from the OTEL_* environment (off unless an endpoint is set)
}

// App is one gateway process.
type App struct {
	cfg      *config.Config
	log      *zap.Logger
	registry *prometheus.Registry
	metrics  *metrics.Metrics
	store    budget.Store
	runStore func(ctx context.Context)
	keys     *keys.Manager
	inval    *invalidations // nil without Redis
	admin    secret.Value
	gateway  *proxy.Gateway
	status   *status.Page
	closers  []func() error
	ready    chan struct{}
	draining atomic.Bool
}

// New builds everything; nothing listens yet.
func New(cfg *config.Config, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	a := &App{cfg: cfg, log: o.Logger, registry: o.Registry, ready: make(chan struct{})}
	a.metrics = metrics.New(o.Registry)
	for _, result := range []string{"applied", "refused"} {
		a.metrics.ConfigReloads.WithLabelValues(result)
	}
	for _, u := range cfg.Upstreams { // present at 0, so an alert on its increase sees the first one
		a.metrics.UpstreamAuth.WithLabelValues(u.Name)
	}
	if o.Store == nil || o.Keys == nil {
		rt, err := buildStore(cfg, a.metrics, a.log)
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, rt.close)
		if rt.redis != nil {
			a.inval = &invalidations{client: rt.redis, channel: cfg.Redis.KeyPrefix + ":cache:invalidate"}
		}
		if o.Store == nil {
			o.Store, a.runStore = rt.store, rt.run
		}
		if o.Keys == nil {
			o.Keys = rt.keys
		}
	}
	a.store = o.Store
	if o.Tracing == nil {
		tp, err := tracing.FromEnv(context.Background(), os.Getenv)
		if err != nil {
			return nil, fmt.Errorf("tracing: %w", err)
		}
		if tp != nil {
			o.Tracing = tp
			a.closers = append(a.closers, func() error { return shutdownTracing(tp) })
		}
	}
	if cfg.Admin.Enabled() {
		tok, err := cfg.Admin.Source.Load()
		if err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		a.admin = tok
	}
	gw, err := proxy.New(proxy.Options{Config: cfg, Gate: budget.NewGate(a.store, nil), Metrics: a.metrics, Logger: a.log, Transport: o.Transport,
		AuthFailureLimit: cfg.Server.AuthFailureLimit,
		OnAuthenticated:  func(id string) { a.keys.Touch(id) }, PublishInvalidation: a.publishInvalidation,
		Tracing: o.Tracing})
	if err != nil {
		return nil, err
	}
	a.gateway = gw
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.keys, err = keys.NewManager(ctx, keys.Options{Store: o.Keys, Callers: cfg.Callers, MaxActive: cfg.Admin.MaxActiveKeys, Apply: gw.SetKeyring, Audit: a.log.Named("audit"),
		KnownScopes: cfg.KnownScopes()})
	if err != nil {
		return nil, fmt.Errorf("load caller keys: %w", err)
	}
	a.watchBudgets()
	if err := metrics.RegisterBudgets(o.Registry, gw); err != nil {
		return nil, fmt.Errorf("register budget metrics: %w", err)
	}
	a.status = status.New(status.Options{Source: gw, Gatherer: o.Registry, Redis: cfg.Redis.Enabled(), Version: metrics.Version})
	return a, nil
}

// Gateway returns the proxy handler.
func (a *App) Gateway() *proxy.Gateway { return a.gateway }

// Registry returns the metrics registry.
func (a *App) Registry() *prometheus.Registry { return a.registry }

// AdminHandler serves /metrics, /healthz, /readyz, the status page (/, /status,
// /status.json), the admin API when a token is set, and pprof when server.pprof is on.
func (a *App) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	a.status.Register(mux)
	if a.cfg.Server.Pprof {
		registerPprof(mux)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, "{\"status\":\"ok\",\"version\":%q}\n", metrics.Version)
	})
	if !a.admin.Empty() {
		mux.Handle("/admin/", admin.Handler(admin.Options{Token: a.admin, Keys: a.keys, Usage: a.callerUsage,
			Logger: a.log.Named("admin"), Failures: a.metrics.AdminAuthFailures}))
	}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-a.ready:
			if !a.draining.Load() {
				_, _ = w.Write([]byte("ready\n"))
				return
			}
		default:
		}
		http.Error(w, "starting or draining", http.StatusServiceUnavailable)
	})
	return mux
}

// Serve runs the gateway on ln and the admin endpoints on adminLn until ctx ends, then
// stops accepting, lets requests in flight finish within shutdown_grace, and returns.
func (a *App) Serve(ctx context.Context, ln, adminLn net.Listener) error {
	s := a.cfg.Server
	// The public server has no ReadTimeout: net/http would cancel every request still
	// waiting for points or the upstream when it passed. The gateway bounds each body
	// read itself (server.read_timeout), and reads none before authenticating.
	srv := &http.Server{Handler: a.gateway, ReadHeaderTimeout: s.ReadHeaderTimeout, IdleTimeout: s.IdleTimeout, ErrorLog: zap.NewStdLog(a.log)}
	// Admin handlers are short, so the whole request may be bounded here.
	admin := &http.Server{Handler: a.AdminHandler(), ReadHeaderTimeout: s.ReadHeaderTimeout, ReadTimeout: s.ReadTimeout,
		WriteTimeout: s.ReadTimeout, IdleTimeout: s.IdleTimeout, ErrorLog: zap.NewStdLog(a.log)}
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	for _, p := range []struct {
		srv *http.Server
		ln  net.Listener
	}{{srv, ln}, {admin, adminLn}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.srv.Serve(p.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	if a.runStore != nil {
		wg.Add(1)
		go func() { defer wg.Done(); a.runStore(bg) }()
	}
	wg.Add(3)
	go func() { defer wg.Done(); a.status.Run(bg) }()
	go func() { defer wg.Done(); a.keys.Run(bg) }()
	go func() { defer wg.Done(); a.gateway.Run(bg) }()
	if a.inval != nil {
		wg.Add(1)
		go func() { defer wg.Done(); a.inval.follow(bg, a.gateway.InvalidateLocal) }()
	}
	close(a.ready)
	a.log.Info("gateway serving", zap.String("listen", ln.Addr().String()), zap.String("admin_listen", adminLn.Addr().String()))
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	a.log.Info("draining", zap.Duration("grace", s.ShutdownGrace))
	a.draining.Store(true)
	a.gateway.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), s.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.log.Warn("grace period ended with requests in flight; closing", zap.Error(err))
		_ = srv.Close()
	}
	_ = admin.Shutdown(sctx)
	stopBG()
	wg.Wait()
	for _, c := range a.closers {
		_ = c()
	}
	return runErr
}

func (a *App) publishInvalidation(upstream, path string) {
	if a.inval != nil {
		a.inval.publish(upstream, path)
	}
}

// Keys returns the key manager.
func (a *App) Keys() *keys.Manager { return a.keys }

// callerUsage reads each budget's per-caller points from the store, for the admin API.
func (a *App) callerUsage(ctx context.Context) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	for _, spec := range a.gateway.Budgets() {
		if _, done := out[spec.Name]; done {
			continue
		}
		if u, err := a.store.Usage(ctx, spec); err == nil {
			out[spec.Name] = u.ByCaller
		}
	}
	return out
}

// Listen opens the two listeners the configuration names.
func Listen(cfg *config.Config) (ln, adminLn net.Listener, err error) {
	if ln, err = net.Listen("tcp", cfg.Server.Listen); err != nil {
		return nil, nil, fmt.Errorf("listen %s: %w", cfg.Server.Listen, err)
	}
	if adminLn, err = net.Listen("tcp", cfg.Server.AdminListen); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("admin listen %s: %w", cfg.Server.AdminListen, err)
	}
	return ln, adminLn, nil
}

// shutdownTracing sends the spans still batched, bounded so a dead collector cannot hold
// the process.
func shutdownTracing(tp *tracing.Provider) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return tp.Shutdown(ctx)
}
