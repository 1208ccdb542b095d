package proxy

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/budget"
)

// reconcileEvery bounds how often one budget is compared with the upstream's word: each
// comparison reads the store once.
const reconcileEvery = 200 * time.Millisecond

// learner takes the upstream's word when it says fewer points remain than the gateway
// counts: someone spends outside the gateway, and the difference is counted too.
type learner struct {
	mu   sync.Mutex
	last map[string]time.Time // budget -> last comparison
}

// learnFrom compares an upstream answer's remaining points with the store, in the
// background: the answer is not held for it.
func (g *Gateway) learnFrom(x *exchange, h http.Header) {
	remaining, ok := upstreamRemaining(h)
	if !ok {
		return
	}
	spec, now := x.up.spec, g.now()
	g.learn.mu.Lock()
	if now.Sub(g.learn.last[spec.Name]) < reconcileEvery {
		g.learn.mu.Unlock()
		return
	}
	g.learn.last[spec.Name] = now
	g.learn.mu.Unlock()
	go g.reconcile(spec, remaining)
}

// reconcile absorbs the gap between what the store says remains and what the upstream
// says remains. Calls still on their way upstream are counted by the store but not yet
// by the upstream, so the gap found is never larger than the real one.
func (g *Gateway) reconcile(spec *budget.Spec, upstreamLeft int64) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	u, err := g.gate.Store().Usage(ctx, spec)
	if err != nil {
		return
	}
	gap := (spec.Capacity - u.Used) - upstreamLeft
	if gap <= 0 {
		g.metrics.Drift.WithLabelValues(spec.Name).Set(0)
		return
	}
	g.metrics.Drift.WithLabelValues(spec.Name).Set(float64(gap))
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
