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
// It runs on every answer, so it allocates nothing, also when no field is there.
func upstreamRemaining(h http.Header) (int64, bool) {
	if v := h.Get("RateLimit"); v != "" {
		for rest := v; rest != ""; {
			var part string
			if i := strings.IndexAny(rest, ";,"); i >= 0 {
				part, rest = rest[:i], rest[i+1:]
			} else {
				part, rest = rest, ""
			}
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && (k == "r" || strings.EqualFold(k, "remaining")) {
				if n, ok := nonNegative(val); ok {
					return n, true
				}
			}
		}
	}
	for _, name := range remainingHeaders {
		if v := h.Get(name); v != "" {
			if n, ok := nonNegative(v); ok {
				return n, true
			}
		}
	}
	return 0, false
}

// remainingHeaders are the older remaining-quota fields, in canonical form (X-RateLimit-
// and X-Ratelimit- are one field name).
var remainingHeaders = []string{"Ratelimit-Remaining", "X-Ratelimit-Remaining"}

// nonNegative parses a decimal count, spaces around it allowed.
func nonNegative(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false // also what ParseInt's error would allocate for
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
