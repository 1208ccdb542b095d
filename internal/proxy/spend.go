package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/ratefields"
)

// spend takes the route's points from the upstream's budget, waiting while the budget is
// short for as long as patience allows (and never past the client's own deadline). A
// waiting request keeps its place in the budget's shared line, on every replica.
func (g *Gateway) spend(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		ask := budget.Ask{Caller: x.caller.Name, Cost: x.route.Cost, Priority: x.caller.Priority, CallerCap: x.caller.MaxPoints}
		maxWait := x.maxWait
		if x.preferApplied != "" {
			w.Header().Set("Preference-Applied", x.preferApplied)
		}
		// Waiting ends early when the process drains: the caller retries on a live replica.
		d, err := g.gate.AcquireOrStop(r.Context(), g.drain.Done(), x.up.spec, ask, maxWait)
		x.decision = d
		outcome := "admitted"
		if !d.Allowed {
			outcome = "refused"
		}
		g.series(x).Wait(outcome).Observe(d.Waited.Seconds())
		if d.Allowed {
			g.series(x).PointsAdmitted().Add(float64(d.Cost))
			next.ServeHTTP(w, r)
			return
		}
		if r.Context().Err() != nil {
			x.outcome = "client_gone_waiting" // nobody to answer; the waiter left the line
			return
		}
		if g.drain.Err() != nil && errors.Is(err, context.Canceled) {
			writeProblemWith(w, r, problem{Status: http.StatusServiceUnavailable, Type: problemType("draining"), RetryAfter: 1,
				Detail: "This gateway replica is shutting down and released your request before it spent anything. Retry: another replica will serve it."})
			return
		}
		if err != nil {
			g.metrics.StoreErrors.WithLabelValues("take").Inc()
			g.log.Warn("budget store unavailable", zap.String("request_id", x.id), zap.String("upstream", x.up.name), zap.Error(err))
		}
		g.metrics.Rejections.WithLabelValues(x.up.name, x.caller.Name, string(d.Reason)).Inc()
		g.refuse(w, r, x, d)
	})
}

// patience is how long one request may wait for points: the client's own bound (RFC 7240
// Prefer: wait=<seconds>), else its caller's max_wait, else the upstream's max_wait; never
// beyond the upstream's max_wait_ceiling. applied is the Preference-Applied value when
// the client's bound is used as asked ("" when none was sent or it exceeded the ceiling,
// which then bounds the wait instead).
func (u *upstream) patience(c *auth.Caller, h http.Header) (time.Duration, string) {
	wait := u.maxWait
	if c.MaxWaitSet {
		wait = c.MaxWait
	}
	if secs, ok := ratefields.PreferWait(h); ok {
		if secs > int64(u.waitCeiling/time.Second) {
			return u.waitCeiling, ""
		}
		return time.Duration(secs) * time.Second, "wait=" + strconv.FormatInt(secs, 10)
	}
	return min(wait, u.waitCeiling), ""
}

// refuse answers a refused Decision: 429 with Retry-After, or 503 when the store is down.
func (g *Gateway) refuse(w http.ResponseWriter, r *http.Request, x *exchange, d budget.Decision) {
	x.up.setRateLimitHeaders(w.Header(), d)
	p := problem{Status: http.StatusTooManyRequests, Reason: string(d.Reason)}
	if d.RetryAfter > 0 {
		p.RetryAfter = ceilSeconds(d.RetryAfter)
	}
	wait := fmt.Sprintf("%ds", p.RetryAfter)
	switch d.Reason {
	case budget.ReasonLockout:
		p.Type = problemType("upstream-lockout")
		p.Detail = "The upstream has locked the organisation out after a rate-limit answer. Nothing is forwarded until the lockout ends; retry after " + wait + "."
	case budget.ReasonCallerCap:
		p.Type = problemType("caller-cap")
		p.Detail = "Your service has spent its own share (max_points) of the budget for this window. Retry after " + wait + ", or ask the operators for a larger share."
	case budget.ReasonTooExpensive:
		p.Type = problemType("too-expensive")
		p.Detail = fmt.Sprintf("This operation costs %d points, more than your service may ever hold at once (its max_points, or the budget less the reserve for critical callers). Ask the operators to raise the limit.", d.Cost)
	case budget.ReasonStoreUnavailable:
		p.Status = http.StatusServiceUnavailable
		p.Type = problemType("budget-unavailable")
		p.Detail = "The shared budget cannot be consulted right now, and this gateway is configured to fail closed. Retry shortly."
		if p.RetryAfter == 0 {
			p.RetryAfter = 1
		}
	default:
		p.Type = problemType("budget-exhausted")
		if d.RetryAfter < 0 {
			p.Detail = "The shared budget has no room for this call within the time the gateway may wait. Retry later."
		} else {
			p.Detail = fmt.Sprintf("The shared budget has no room for this %d-point call within the gateway's wait limit. Retry after %s.", d.Cost, wait)
		}
	}
	writeProblemWith(w, r, p)
}

// setRateLimitHeaders writes the RateLimit-Policy and RateLimit fields of a decision.
func (u *upstream) setRateLimitHeaders(h http.Header, d budget.Decision) {
	reset := int64(u.spec.Window / time.Second)
	if !d.Allowed && d.RetryAfter > 0 {
		reset = ceilSeconds(d.RetryAfter)
	}
	u.rateLimit.Set(h, d.Remaining(), reset)
}
