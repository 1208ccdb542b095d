package deploy

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// dashboardQueries returns every PromQL expression in a Grafana dashboard (panel targets,
// annotations, nested rows) and the metric of every label_values() variable query.
func dashboardQueries(t *testing.T) map[string]string {
	t.Helper()
	var doc any
	if err := json.Unmarshal(readFile(t, dashboardFile), &doc); err != nil {
		t.Fatal(err)
	}
	labelValues := regexp.MustCompile(`label_values\(\s*([^,)]+)`)
	out := map[string]string{}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if title, ok := v["title"].(string); ok {
				where = title
			} else if name, ok := v["name"].(string); ok {
				where = name
			}
			for k, child := range v {
				s, isString := child.(string)
				switch {
				case k == "expr" && isString:
					out[s] = where
				case (k == "query" || k == "definition") && isString:
					if m := labelValues.FindStringSubmatch(s); m != nil {
						out[m[1]] = where
					}
				default:
					walk(where, child)
				}
			}
		case []any:
			for _, child := range v {
				walk(where, child)
			}
		}
	}
	walk("dashboard", doc)
	return out
}

func TestDashboardNamesOnlyExportedMetrics(t *testing.T) {
	e := exportedMetrics(t)
	queries := dashboardQueries(t)
	if len(queries) < 20 {
		t.Fatalf("found only %d queries in %s; is the walk broken?", len(queries), dashboardFile)
	}
	for expr, where := range queries {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: %q selects no metric", where, expr)
		}
		for _, name := range names {
			if !e.allows(name) {
				t.Errorf("%s: %s is not a metric the gateway exports (in %s)", where, name, expr)
			}
		}
	}
}

func TestDashboardShowsWhatOperatorsNeed(t *testing.T) {
	var all strings.Builder
	for expr := range dashboardQueries(t) {
		all.WriteString(expr + "\n")
	}
	var d struct {
		Annotations struct {
			List []struct{ Name, Expr string } `json:"list"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(readFile(t, dashboardFile), &d); err != nil {
		t.Fatal(err)
	}
	for _, a := range d.Annotations.List {
		all.WriteString("annotation " + a.Expr + "\n")
	}
	for what, pattern := range map[string]string{
		"budget used":                   `gateway_budget_points_used`,
		"budget capacity":               `gateway_budget_points_capacity`,
		"rejections by reason":          `sum by \(reason\) \(rate\(gateway_budget_rejections_total`,
		"wait-time quantiles":           `histogram_quantile\(0\.99, sum by \(le\) \(rate\(gateway_budget_wait_seconds_bucket`,
		"upstream latency":              `histogram_quantile\([^,]+, sum by \(le, upstream\) \(rate\(gateway_upstream_request_duration_seconds_bucket`,
		"upstream status":               `sum by \(code\) \(rate\(gateway_upstream_request_duration_seconds_count`,
		"top callers by points":         `topk\(10, sum by \(caller\) \((rate|increase)\(gateway_budget_points_admitted_total`,
		"lockouts as annotations":       `annotation .*gateway_lockout_active`,
		"degraded store as annotations": `annotation .*gateway_store_degraded`,
		"points saved by reason":        `sum by \(reason\) \(increase\(gateway_points_saved_total`,
		"coalescing":                    `gateway_coalesced_requests_total`,
		"cache results":                 `sum by \(result\) \(rate\(gateway_cache_requests_total`,
		"budget drift":                  `gateway_budget_drift_points`,
		"org token refused upstream":    `gateway_upstream_auth_errors_total`,
	} {
		if !regexp.MustCompile(pattern).MatchString(all.String()) {
			t.Errorf("the dashboard does not show %s (nothing matches %s)", what, pattern)
		}
	}
}
