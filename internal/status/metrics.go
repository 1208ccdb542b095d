package status

import (
	"cmp"
	"slices"

	dto "github.com/prometheus/client_model/go"
)

// metricValues is what the page reads from the registry: the counters the gateway keeps
// anyway, so the page and /metrics can never disagree.
type metricValues struct {
	families map[string]*dto.MetricFamily
	degraded map[string]bool    // upstream -> on its local share
	reloads  map[string]float64 // result -> count
}

func (p *Page) readMetrics() metricValues {
	m := metricValues{families: map[string]*dto.MetricFamily{}, degraded: map[string]bool{}, reloads: map[string]float64{}}
	// Gather reports a partial result with its error (a collector failed): use what came.
	fams, _ := p.gatherer.Gather()
	for _, f := range fams {
		m.families[f.GetName()] = f
	}
	m.each("gateway_store_degraded", func(l map[string]string, v float64) {
		m.degraded[l["upstream"]] = m.degraded[l["upstream"]] || v > 0
	})
	m.each("gateway_config_reload_total", func(l map[string]string, v float64) { m.reloads[l["result"]] += v })
	return m
}

// each calls fn with the labels and value of every sample of the named counter or gauge.
func (m metricValues) each(name string, fn func(labels map[string]string, v float64)) {
	f := m.families[name]
	if f == nil {
		return
	}
	for _, s := range f.GetMetric() {
		l := make(map[string]string, len(s.GetLabel()))
		for _, lp := range s.GetLabel() {
			l[lp.GetName()] = lp.GetValue()
		}
		switch {
		case s.Counter != nil:
			fn(l, s.GetCounter().GetValue())
		case s.Gauge != nil:
			fn(l, s.GetGauge().GetValue())
		}
	}
}

// counts sums a counter by upstream and one more label, leaving out zeros, largest first.
func (m metricValues) counts(name, label string) []Count {
	sums := map[[2]string]float64{}
	m.each(name, func(l map[string]string, v float64) { sums[[2]string{l["upstream"], l[label]}] += v })
	out := []Count{}
	for k, v := range sums {
		if v > 0 {
			out = append(out, Count{Upstream: k[0], Reason: k[1], Count: v})
		}
	}
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Upstream, b.Upstream), cmp.Compare(a.Reason, b.Reason))
	})
	return out
}

// callers totals points admitted and refusals per caller, most points first.
func (m metricValues) callers() []Caller {
	by := map[string]*Caller{}
	get := func(name string) *Caller {
		if by[name] == nil {
			by[name] = &Caller{Name: name}
		}
		return by[name]
	}
	m.each("gateway_budget_points_admitted_total", func(l map[string]string, v float64) { get(l["caller"]).PointsAdmitted += v })
	m.each("gateway_budget_rejections_total", func(l map[string]string, v float64) { get(l["caller"]).Refused += v })
	out := []Caller{}
	for _, c := range by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Caller) int {
		return cmp.Or(cmp.Compare(b.PointsAdmitted, a.PointsAdmitted), cmp.Compare(b.Refused, a.Refused), cmp.Compare(a.Name, b.Name))
	})
	return out
}
