package deploy

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/metrics"
)

// exported is every metric name the gateway serves on /metrics, mapped to whether the
// metric also has _bucket, _sum and _count series (histograms and summaries).
type exported map[string]bool

// exportedMetrics builds the gateway's real registry, as app.New does, and reads the
// names from the collectors themselves: a vector with no children yet gathers nothing,
// but it describes itself.
func exportedMetrics(t *testing.T) exported {
	t.Helper()
	rec := &recorder{Registry: prometheus.NewRegistry(), names: exported{}}
	rec.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics.New(rec)
	if err := metrics.RegisterBudgets(rec, oneBudget{budget.NewMemory(nil)}); err != nil {
		t.Fatal(err)
	}
	families, err := rec.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		switch f.GetType().String() {
		case "HISTOGRAM", "GAUGE_HISTOGRAM", "SUMMARY":
			rec.names[f.GetName()] = true
		}
	}
	for _, name := range []string{"gateway_requests_total", "gateway_budget_points_used", "gateway_lockout_active", "go_goroutines"} {
		if _, ok := rec.names[name]; !ok {
			t.Fatalf("reading the registry failed: %s is missing from %v", name, rec.names.sorted())
		}
	}
	return rec.names
}

// allows reports whether a PromQL selector may name metric. up is Prometheus's own.
func (e exported) allows(name string) bool {
	if name == "up" {
		return true
	}
	if _, ok := e[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && e[base] {
			return true
		}
	}
	return false
}

func (e exported) sorted() []string {
	out := make([]string, 0, len(e))
	for n := range e {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// recorder registers on a real registry and writes down the name of every metric each
// collector describes, noting histogram vectors.
type recorder struct {
	*prometheus.Registry
	names exported
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *recorder) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	_, histogram := c.(*prometheus.HistogramVec)
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = r.names[m[1]] || histogram
		}
	}
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// oneBudget is the smallest BudgetSource: one budget in an in-memory store.
type oneBudget struct{ store budget.Store }

func (o oneBudget) Budgets() map[string]*budget.Spec {
	return map[string]*budget.Spec{"retool": {Name: "retool", Capacity: 300, Window: time.Minute, Hold: time.Minute}}
}

func (o oneBudget) Store() budget.Store { return o.store }

// Scanning, not parsing: after strings, label matchers, ranges, grouping clauses and
// Grafana variables are gone, every identifier not followed by "(" (a function or an
// aggregation) and not a keyword is a metric name.
var (
	grafanaVar = regexp.MustCompile(`\$\{[^}]*\}|\$\w+`)
	quoted     = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	matchers   = regexp.MustCompile(`\{[^}]*\}`)
	ranges     = regexp.MustCompile(`\[[^\]]*\]`)
	grouping   = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	token      = regexp.MustCompile(`\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]*|[a-zA-Z_:][a-zA-Z0-9_:]*`)
	keywords   = []string{"and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2"}
)

// metricNames lists the metrics a PromQL expression selects, in order of appearance.
func metricNames(expr string) []string {
	s := grafanaVar.ReplaceAllString(expr, "")
	for _, re := range []*regexp.Regexp{quoted, matchers, ranges, grouping} {
		s = re.ReplaceAllString(s, " ")
	}
	var names []string
	for _, loc := range token.FindAllStringIndex(s, -1) {
		tok := s[loc[0]:loc[1]]
		if tok[0] >= '0' && tok[0] <= '9' || slices.Contains(keywords, strings.ToLower(tok)) {
			continue
		}
		if rest := strings.TrimLeft(s[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") {
			continue
		}
		names = append(names, tok)
	}
	return names
}

func TestMetricNamesFindsSelectorsAndNothingElse(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`histogram_quantile(0.99, sum by (le) (rate(gateway_budget_wait_seconds_bucket{upstream=~"$upstream", outcome="admitted"}[$__rate_interval])))`,
			[]string{"gateway_budget_wait_seconds_bucket"}},
		{`max by (upstream, budget) (a_used) / max by (upstream, budget) (a_capacity) > 0.9`, []string{"a_used", "a_capacity"}},
		{"sum(x unless x offset 15m) by (le) > 1/30 or absent(up{job=\"gateway\"} == 1)", []string{"x", "x", "up"}},
		{`topk(10, sum without (instance) (increase(y_total{a="sum(z)"}[5m]))) and on (upstream) w`, []string{"y_total", "w"}},
		{`count by (version, goversion) (gateway_build_info) * 1e3`, []string{"gateway_build_info"}},
	} {
		if got := metricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%s)\n  = %v\n want %v", tc.expr, got, tc.want)
		}
	}
}

func TestTheRegistryListsEveryGatewayMetric(t *testing.T) {
	e := exportedMetrics(t)
	for name, hist := range map[string]bool{
		"gateway_requests_total": false, "gateway_budget_wait_seconds": true, "gateway_upstream_request_duration_seconds": true,
		"gateway_budget_points_capacity": false, "gateway_budget_waiters": false, "gateway_build_info": false,
		"gateway_store_degraded": false, "process_resident_memory_bytes": false,
	} {
		if got, ok := e[name]; !ok || got != hist {
			t.Errorf("%s: exported %v, histogram %v; want exported, histogram %v", name, ok, got, hist)
		}
	}
	if e.allows("gateway_requests_total_count") || !e.allows("gateway_budget_wait_seconds_bucket") || !e.allows("up") {
		t.Error("suffixes are allowed on histograms only, and up always")
	}
}
