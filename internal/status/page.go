package status

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/budgetgw/gateway/internal/budget"
)

//go:embed assets
var assets embed.FS

// Source lists the budgets in service and the store that holds them (the proxy's Gateway).
type Source interface {
	Budgets() map[string]*budget.Spec // upstream name -> spec
	Store() budget.Store
}

// Options configure a Page. Source and Gatherer are required.
type Options struct {
	Source   Source
	Gatherer prometheus.Gatherer // the registry /metrics serves
	Redis    bool                // budgets live in Redis (else in this process's memory)
	Version  string

	Refresh time.Duration    // how often the page polls /status.json; 0: 2s
	Sample  time.Duration    // the chart's sampling tick; 0: 1s (each budget is sampled every window/12, 1s to 5s)
	Now     func() time.Time // nil: time.Now
}

// Page serves the status page and its JSON twin, and samples the chart's history.
type Page struct {
	src      Source
	gatherer prometheus.Gatherer
	redis    bool
	version  string
	refresh  time.Duration
	sample   time.Duration
	now      func() time.Time
	started  time.Time
	history  history

	mu         sync.Mutex
	lastReload *Reload
}

// New returns a Page; call Run to collect the chart's history.
func New(o Options) *Page {
	p := &Page{src: o.Source, gatherer: o.Gatherer, redis: o.Redis, version: o.Version,
		refresh: o.Refresh, sample: o.Sample, now: o.Now}
	if p.refresh <= 0 {
		p.refresh = 2 * time.Second
	}
	if p.sample <= 0 {
		p.sample = time.Second
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.started = p.now()
	return p
}

// Reloaded records a configuration reload's outcome for the page.
func (p *Page) Reloaded(applied bool) {
	r := &Reload{At: p.now().UTC(), Result: "refused"}
	if applied {
		r.Result = "applied"
	}
	p.mu.Lock()
	p.lastReload = r
	p.mu.Unlock()
}

// Run samples every budget's points in use until ctx ends.
func (p *Page) Run(ctx context.Context) {
	t := time.NewTicker(p.sample)
	defer t.Stop()
	for {
		p.takeSample(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *Page) takeSample(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, p.sample)
	defer cancel()
	names, specs, _ := budgetsByName(p.src.Budgets())
	keep := map[string]bool{}
	for _, name := range names {
		keep[name] = true
		every := min(max(specs[name].Window/12, time.Second), 5*time.Second)
		if !p.history.due(name, p.now(), every) {
			continue
		}
		if u, err := p.src.Store().Usage(ctx, specs[name]); err == nil {
			p.history.add(name, specs[name].Window, Sample{At: p.now().UTC(), Used: u.Used})
		}
	}
	p.history.keep(keep)
}

// Register adds the page's routes to mux: GET / and /status (the page), /status.json
// (its data) and /status/assets/ (the page's style and script).
func (p *Page) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", p.servePage)
	mux.HandleFunc("GET /status", p.servePage)
	mux.HandleFunc("GET /status.json", p.serveJSON)
	sub, _ := fs.Sub(assets, "assets")
	mux.Handle("GET /status/assets/", http.StripPrefix("/status/assets/", http.FileServerFS(sub)))
}

// securityHeaders pin the page to its own origin: nothing loads from anywhere else, and
// the page cannot be framed by another site.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (p *Page) servePage(w http.ResponseWriter, _ *http.Request) {
	b, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, "status page missing from the build", http.StatusInternalServerError)
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

func (p *Page) serveJSON(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	s := p.snapshot(ctx)
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s)
}
