package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Call holds the children that requests of one (upstream, route family, caller) update,
// each resolved from its vector on first use and kept: after that, a request hashes no
// label values and takes no vector lock. Its label values are the caller's to bound (the
// proxy keys Calls by configured upstream, route and caller).
type Call struct {
	m                         *Metrics
	upstream, route, caller   string
	requests                  [len(classes)]lazy[prometheus.Counter]
	waitAdmitted, waitRefused lazy[prometheus.Observer]
	points                    lazy[prometheus.Counter]
	upstreamDuration          [len(classes)]lazy[prometheus.Observer]
}

// Call returns the children for one (upstream, route family, caller); "none" where the
// request got no further.
func (m *Metrics) Call(upstream, route, caller string) *Call {
	return &Call{m: m, upstream: upstream, route: route, caller: caller}
}

// Requests is gateway_requests_total for status class code (see Class).
func (c *Call) Requests(code string) prometheus.Counter {
	i, ok := classIndex(code)
	if !ok {
		return c.m.Requests.WithLabelValues(c.upstream, c.route, c.caller, code)
	}
	return c.requests[i].get(func() prometheus.Counter { return c.m.Requests.WithLabelValues(c.upstream, c.route, c.caller, code) })
}

// Wait is gateway_budget_wait_seconds for outcome (admitted or refused).
func (c *Call) Wait(outcome string) prometheus.Observer {
	switch outcome {
	case "admitted":
		return c.waitAdmitted.get(func() prometheus.Observer { return c.m.Wait.WithLabelValues(c.upstream, outcome) })
	case "refused":
		return c.waitRefused.get(func() prometheus.Observer { return c.m.Wait.WithLabelValues(c.upstream, outcome) })
	}
	return c.m.Wait.WithLabelValues(c.upstream, outcome)
}

// PointsAdmitted is gateway_budget_points_admitted_total for the caller.
func (c *Call) PointsAdmitted() prometheus.Counter {
	return c.points.get(func() prometheus.Counter { return c.m.PointsAdmitted.WithLabelValues(c.upstream, c.caller) })
}

// UpstreamDuration is gateway_upstream_request_duration_seconds for status class code.
func (c *Call) UpstreamDuration(code string) prometheus.Observer {
	i, ok := classIndex(code)
	if !ok {
		return c.m.UpstreamDuration.WithLabelValues(c.upstream, c.route, code)
	}
	return c.upstreamDuration[i].get(func() prometheus.Observer { return c.m.UpstreamDuration.WithLabelValues(c.upstream, c.route, code) })
}

// lazy is a value made on first use. Two first uses at once may both make it: the
// vectors hand both the same child, so either may win.
type lazy[T any] struct{ p atomic.Pointer[T] }

func (l *lazy[T]) get(make func() T) T {
	if p := l.p.Load(); p != nil {
		return *p
	}
	v := make()
	l.p.Store(&v)
	return v
}

// classes are Class's values, in the order classIndex gives.
var classes = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}

func classIndex(code string) (int, bool) {
	switch {
	case len(code) == 3 && code[0] >= '1' && code[0] <= '5' && code[1:] == "xx":
		return int(code[0] - '1'), true
	case code == "other":
		return len(classes) - 1, true
	}
	return 0, false
}
