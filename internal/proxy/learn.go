package proxy

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// reconcileEvery bounds how often one budget absorbs a gap: answers to calls admitted
// together report nearly the same gap, and absorbing each would count it several times.
const reconcileEvery = 50 * time.Millisecond

// learner takes the upstream's word when it says fewer points remain than the gateway
// counts: someone spends outside the gateway, and the difference is counted too.
type learner struct {
	mu       sync.Mutex
	last     map[string]time.Time // budget -> last absorption
	inflight sync.Map             // budget -> *atomic.Int64: points forwarded, not yet answered
}

// flying is the budget's count of points on their way (forwarded, unanswered).
func (l *learner) flying(budget string) *atomic.Int64 {
	if v, ok := l.inflight.Load(budget); ok {
		return v.(*atomic.Int64)
	}
	v, _ := l.inflight.LoadOrStore(budget, new(atomic.Int64))
	return v.(*atomic.Int64)
}

// learnFrom compares an answer's remaining points with what the budget counted when this
// call was admitted (everything admitted before it, itself included). The gap is points
// spent outside the gateway; it is absorbed before the answer is passed on, so the next
// admission already sees it.
func (g *Gateway) learnFrom(x *exchange, h http.Header) {
	upstreamLeft, ok := upstreamRemaining(h)
	if !ok {
		return
	}
	spec := x.up.spec
	// This call's admission counted every call admitted before it; the upstream's answer
	// counts only those that had reached it. Those still on their way are added back, or
	// the gap would come out short by them: the unsafe direction. (Calls admitted after
	// this one and still flying are added too, which only errs on the safe side.)
	flying := max(g.learn.flying(spec.Name).Load()-x.decision.Cost, 0)
	gap := (spec.Capacity - x.decision.Used) - upstreamLeft + flying
	if gap <= 0 {
		g.metrics.Drift.WithLabelValues(spec.Name).Set(0)
		return
	}
	// Held across the absorb: an answer that finds the gap already being absorbed waits
	// for it, so its caller's next call is admitted against the corrected count.
	g.learn.mu.Lock()
	defer g.learn.mu.Unlock()
	now := g.now()
	if now.Sub(g.learn.last[spec.Name]) < reconcileEvery {
		return
	}
	g.learn.last[spec.Name] = now
	g.metrics.Drift.WithLabelValues(spec.Name).Set(float64(gap))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := g.gate.Store().Absorb(ctx, spec, gap, spec.Window); err != nil {
		g.metrics.StoreErrors.WithLabelValues("absorb").Inc()
		return
	}
	g.log.Warn("the upstream counts more spent than the gateway: points are spent outside it; counting the difference",
		zap.String("budget", spec.Name), zap.Int64("gap_points", gap), zap.Int64("upstream_remaining", upstreamLeft))
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
