package metrics

import (
	"slices"
	"testing"
)

func TestTheCatalogueListsEveryRegisteredMetricWithItsLabels(t *testing.T) {
	got := map[string][]string{}
	for _, i := range Catalogue() {
		got[i.Name] = i.Labels
		if i.Help == "" {
			t.Errorf("%s has no help text", i.Name)
		}
	}
	for name, labels := range map[string][]string{
		"gateway_upstream_auth_errors_total": {"upstream"},
		"gateway_budget_points_used":         {"upstream", "budget"},
		"gateway_requests_total":             {"upstream", "route", "caller", "code"},
		"gateway_build_info":                 {"goversion", "version"},
	} {
		if l, ok := got[name]; !ok || !slices.Equal(l, labels) {
			t.Errorf("%s: labels %v (listed: %v); want %v", name, l, ok, labels)
		}
	}
}
