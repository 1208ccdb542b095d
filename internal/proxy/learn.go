package proxy

import (
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// learnFrom takes the upstream's word when its answer says fewer points remain than the
// gateway counts: someone spends outside the gateway, and the budget (Gate.Reconcile)
// counts the difference before the answer is passed on, so the next admission sees it.
func (g *Gateway) learnFrom(x *exchange, h http.Header) {
	upstreamLeft, ok := upstreamRemaining(h)
	if !ok {
		return
	}
	spec := x.up.spec
	rec, err := g.gate.Reconcile(spec, x.decision, upstreamLeft)
	switch {
	case rec.Gap <= 0:
		g.metrics.Drift.WithLabelValues(spec.Name).Set(0)
		return
	case rec.Throttled:
		return
	}
	g.metrics.Drift.WithLabelValues(spec.Name).Set(float64(rec.Gap))
	if err != nil {
		g.metrics.StoreErrors.WithLabelValues("absorb").Inc()
		return
	}
	g.log.Warn("the upstream counts more spent than the gateway: points are spent outside it; counting the difference",
		zap.String("budget", spec.Name), zap.Int64("gap_points", rec.Gap), zap.Int64("upstream_remaining", upstreamLeft))
}

// upstreamRemaining reads the remaining quota from the rate-limit fields providers use:
// RateLimit ("name";r=N;t=S, or remaining=N), RateLimit-Remaining, X-RateLimit-Remaining.
func upstreamRemaining(h http.Header) (int64, bool) {
	if v := h.Get("RateLimit"); v != "" {
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && (k == "r" || strings.EqualFold(k, "remaining")) {
				if n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64); err == nil && n >= 0 {
					return n, true
				}
			}
		}
	}
	for _, name := range []string{"RateLimit-Remaining", "X-RateLimit-Remaining", "X-Ratelimit-Remaining"} {
		if n, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64); err == nil && n >= 0 {
			return n, true
		}
	}
	return 0, false
}
