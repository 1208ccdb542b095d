package proxytest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/tracing"
)

// maxGrace caps the drain at the end of a test: a test that leaves a request waiting for
// points must not hold its cleanup for the production default of 20 s.
const maxGrace = time.Second

// Options describe a gateway under test.
type Options struct {
	Config    string            // the configuration file's text
	Store     budget.Store      // nil: the store the configuration asks for
	Transport http.RoundTripper // to the upstreams; nil: the gateway's own
	Tracing   *tracing.Provider // nil: from the environment (off in tests unless set)
	// Logger, when set, is the gateway's logger instead of the observed one (Logs then
	// sees nothing): benchmarks give a production-like encoder writing nowhere.
	Logger *zap.Logger
	// Grace is the drain when the gateway stops; 0: the configuration's, at most 1 s.
	// A drill that holds calls in flight across a stop sets it longer.
	Grace time.Duration
}

// Gateway is a gateway under test.
type Gateway struct {
	App      *app.App
	Config   *config.Config
	Handler  http.Handler // the request pipeline, to call without a listener
	Registry *prometheus.Registry
	Logs     *Logs
	URL      string // http://127.0.0.1:port once started
	AdminURL string

	client *http.Client
	mu     sync.Mutex
	seen   []Response

	cancel   context.CancelFunc // ends Serve, as SIGTERM does
	done     chan struct{}      // closed when Serve has returned
	serveErr error              // what Serve returned; read after done
}

// Build parses the configuration and builds the app with a fresh registry and an observed
// logger. Nothing listens: use Handler, or Start.
func Build(t testing.TB, o Options) *Gateway {
	t.Helper()
	cfg, err := config.Parse(strings.NewReader(o.Config))
	if err != nil {
		t.Fatalf("parse test config: %v\n%s", err, o.Config)
	}
	cfg.Server.ShutdownGrace = min(cfg.Server.ShutdownGrace, maxGrace)
	if o.Grace > 0 {
		cfg.Server.ShutdownGrace = o.Grace
	}
	g := &Gateway{Config: cfg, Registry: prometheus.NewRegistry(), Logs: newLogs()}
	logger := o.Logger
	if logger == nil {
		logger = g.Logs.Logger()
	}
	g.App, err = app.New(cfg, app.Options{Logger: logger, Registry: g.Registry, Store: o.Store, Transport: o.Transport, Tracing: o.Tracing})
	if err != nil {
		t.Fatalf("build app: %v", err)
	}
	g.Handler = g.App.Gateway()
	return g
}

// Start builds the gateway and serves it, and its admin endpoints, on loopback ports
// until the test ends; the cleanup drains it and fails the test if serving failed.
func Start(t testing.TB, o Options) *Gateway {
	t.Helper()
	g := Build(t, o)
	ln, adminLn := listen(t), listen(t)
	g.URL, g.AdminURL = "http://"+ln.Addr().String(), "http://"+adminLn.Addr().String()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	g.client = &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel, g.done = cancel, make(chan struct{})
	go func() {
		g.serveErr = g.App.Serve(ctx, ln, adminLn)
		close(g.done)
	}()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := g.Stop(); err != nil {
			t.Errorf("gateway serve: %v", err)
		}
	})
	return g
}

// BeginStop tells a started gateway to stop, as SIGTERM does, and returns at once: it
// drains (readiness fails, waiting calls are released) while calls in flight finish.
func (g *Gateway) BeginStop() { g.cancel() }

// Stopped reports whether Serve has returned, without waiting.
func (g *Gateway) Stopped() bool {
	select {
	case <-g.done:
		return true
	default:
		return false
	}
}

// Stop stops a started gateway and waits for Serve to return, giving its error. It may
// be called more than once; the test's cleanup calls it too.
func (g *Gateway) Stop() error {
	g.cancel()
	<-g.done
	return g.serveErr
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return ln
}

// Metric sums the samples of the named metric (counter, gauge or histogram count) whose
// labels include every name, value pair given. Absent: 0.
func (g *Gateway) Metric(t testing.TB, name string, labelPairs ...string) float64 {
	t.Helper()
	if len(labelPairs)%2 != 0 {
		t.Fatalf("Metric(%s): label pairs must come in twos", name)
	}
	families, err := g.Registry.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	var sum float64
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabels(m, labelPairs) {
				sum += value(m)
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i < len(pairs); i += 2 {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == pairs[i] && lp.GetValue() == pairs[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// MetricsText is the admin endpoint's /metrics page, as a scraper sees it.
func (g *Gateway) MetricsText(t testing.TB) string {
	t.Helper()
	if g.AdminURL == "" {
		t.Fatal("MetricsText needs a started gateway")
	}
	resp, err := g.client.Get(g.AdminURL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	r := readResponse(t, resp)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", r.Status, r.Body)
	}
	return string(r.Body)
}

var errNotStarted = errors.New("the gateway was built but not started")
