package status

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
)

// Snapshot is the body of /status.json. Field names are a public interface (docs/status.md):
// extend, never rename. Counts marked "since start" are this replica's since it started.
type Snapshot struct {
	GeneratedAt    time.Time `json:"generated_at"`
	StartedAt      time.Time `json:"started_at"`
	Version        string    `json:"version"`
	RefreshSeconds float64   `json:"refresh_seconds"` // how often the page polls
	Store          Store     `json:"store"`
	Budgets        []Budget  `json:"budgets"`
	Callers        []Caller  `json:"callers"`
	Refusals       []Count   `json:"refusals"` // since start, by upstream and reason
	Saved          []Count   `json:"saved"`    // points saved since start, by upstream and reason
	Config         Config    `json:"config"`
}

// Store says where budgets live and whether this replica can reach it.
type Store struct {
	Kind     string   `json:"kind"`     // "redis" or "memory"
	State    string   `json:"state"`    // "shared", "degraded" (some budget on its local share) or "local" (memory)
	Degraded []string `json:"degraded"` // budgets running on this replica's local share now
}

// Budget is one named budget now.
type Budget struct {
	Name             string         `json:"name"`
	Upstreams        []string       `json:"upstreams"`
	Capacity         int64          `json:"capacity"`
	Reserve          int64          `json:"reserve"`
	WindowSeconds    float64        `json:"window_seconds"`
	Used             int64          `json:"used"`
	Waiters          int            `json:"waiters"`
	LockedForSeconds float64        `json:"locked_for_seconds"` // 0: not locked out
	Degraded         bool           `json:"degraded"`
	Error            string         `json:"error,omitempty"` // the store could not be read; the numbers are absent
	ByCaller         []CallerPoints `json:"by_caller"`       // points counted in the current window, most first
	History          []Sample       `json:"history"`         // used, sampled over the last few windows, oldest first
}

// CallerPoints is one caller's points counted in a budget's current window. Points spent
// outside the gateway (learnt from the upstream's headers) appear as caller "_outside".
type CallerPoints struct {
	Caller string `json:"caller"`
	Points int64  `json:"points"`
}

// Sample is a budget's points in use at one moment.
type Sample struct {
	At   time.Time `json:"at"`
	Used int64     `json:"used"`
}

// Caller is one caller's totals since start, from the metrics.
type Caller struct {
	Name           string  `json:"name"`
	PointsAdmitted float64 `json:"points_admitted"`
	Refused        float64 `json:"refused"`
}

// Count is one counter's value.
type Count struct {
	Upstream string  `json:"upstream"`
	Reason   string  `json:"reason"`
	Count    float64 `json:"count"`
}

// Config is the configuration's history on this replica.
type Config struct {
	LoadedAt   time.Time `json:"loaded_at"`
	LastReload *Reload   `json:"last_reload"` // null: never reloaded
	Applied    float64   `json:"reloads_applied"`
	Refused    float64   `json:"reloads_refused"`
}

// Reload is one reload's outcome (its error is in the log, not here: it may name files).
type Reload struct {
	At     time.Time `json:"at"`
	Result string    `json:"result"` // "applied" or "refused"
}

// budgetsByName groups the upstreams' specs by budget name (upstreams may share one).
func budgetsByName(specs map[string]*budget.Spec) (names []string, spec map[string]*budget.Spec, ups map[string][]string) {
	spec, ups = map[string]*budget.Spec{}, map[string][]string{}
	for u, s := range specs {
		if _, ok := spec[s.Name]; !ok {
			names = append(names, s.Name)
		}
		spec[s.Name] = s
		ups[s.Name] = append(ups[s.Name], u)
	}
	slices.Sort(names)
	for _, u := range ups {
		slices.Sort(u)
	}
	return names, spec, ups
}

// snapshot builds the page's data. Store reads are bounded by ctx; a budget whose store
// cannot be read is shown with its error rather than with made-up numbers.
func (p *Page) snapshot(ctx context.Context) Snapshot {
	now := p.now()
	m := p.readMetrics()
	s := Snapshot{
		GeneratedAt:    now.UTC(),
		StartedAt:      p.started.UTC(),
		Version:        p.version,
		RefreshSeconds: p.refresh.Seconds(),
		Store:          Store{Kind: "memory", State: "local", Degraded: []string{}},
		Budgets:        []Budget{},
		Callers:        m.callers(),
		Refusals:       m.counts("gateway_budget_rejections_total", "reason"),
		Saved:          m.counts("gateway_points_saved_total", "reason"),
		Config:         p.config(m),
	}
	if p.redis {
		s.Store.Kind, s.Store.State = "redis", "shared"
	}
	names, specs, ups := budgetsByName(p.src.Budgets())
	store := p.src.Store()
	for _, name := range names {
		spec := specs[name]
		b := Budget{Name: name, Upstreams: ups[name], Capacity: spec.Capacity, Reserve: spec.Reserve,
			WindowSeconds: spec.Window.Seconds(), ByCaller: []CallerPoints{}, History: p.history.of(name)}
		for _, u := range b.Upstreams {
			b.Degraded = b.Degraded || m.degraded[u]
		}
		if b.Degraded {
			s.Store.Degraded = append(s.Store.Degraded, name)
			s.Store.State = "degraded"
		}
		u, err := store.Usage(ctx, spec)
		switch {
		case err != nil && b.Degraded:
			b.Error = "Redis is unreachable: this replica decides alone on its local share; the shared numbers return with Redis"
		case err != nil:
			b.Error = "the budget store did not answer; see gateway_store_errors_total and the log"
		default:
			b.Used, b.Waiters, b.LockedForSeconds = u.Used, u.Waiters, u.LockedFor.Seconds()
			b.ByCaller = byCaller(u.ByCaller)
		}
		s.Budgets = append(s.Budgets, b)
	}
	return s
}

func byCaller(m map[string]int64) []CallerPoints {
	out := make([]CallerPoints, 0, len(m))
	for c, n := range m {
		if n > 0 {
			out = append(out, CallerPoints{c, n})
		}
	}
	slices.SortFunc(out, func(a, b CallerPoints) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), strings.Compare(a.Caller, b.Caller))
	})
	return out
}

func (p *Page) config(m metricValues) Config {
	c := Config{LoadedAt: p.started.UTC(), Applied: m.reloads["applied"], Refused: m.reloads["refused"]}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastReload != nil {
		r := *p.lastReload
		c.LastReload = &r
		if r.Result == "applied" {
			c.LoadedAt = r.At
		}
	}
	return c
}
