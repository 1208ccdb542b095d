package proxy

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/ratefields"
)

// learnFrom takes the upstream's word when its answer says fewer points remain than the
// gateway counts: someone spends outside the gateway, and the budget (Gate.Reconcile)
// counts the difference before the answer is passed on, so the next admission sees it.
func (g *Gateway) learnFrom(x *exchange, h http.Header) {
	upstreamLeft, ok := ratefields.Remaining(h)
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
