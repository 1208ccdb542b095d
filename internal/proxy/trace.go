package proxy

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"

	"github.com/budgetgw/gateway/internal/tracing"
)

// Tracing (off unless the process was started with an OTLP endpoint; see docs/tracing.md):
// one server span per request, continuing the caller's W3C trace context, with a child
// span per stage of the pipeline and one for the upstream call (otelhttp's transport,
// which also hands the trace context on to the upstream).
//
//	server span "GET /api/v2/users/{userId}"     observe, start to last byte
//	├── "authenticate+route"                     authenticate, route, scopes
//	├── "wait for points"                        spend: cost, waited, outcome, budget used
//	└── "upstream GET"                           the call to the upstream (client span)
//
// When tracing is off, g.tracer is nil: the stage steps below return the next handler
// itself, and observe checks one pointer, so the request path pays nothing. The spans
// themselves are package tracing's (tracing.Request); what goes in them is decided here.

// Span names of the stages.
const (
	spanRoute = "authenticate+route"
	spanWait  = "wait for points"
)

func (g *Gateway) setTracing(p *tracing.Provider) {
	if p == nil {
		return
	}
	g.tracer = p
	g.transport = p.Transport(g.transport)
}

// startServerSpan opens the request's server span (see tracing.Provider.StartRequest).
func (g *Gateway) startServerSpan(r *http.Request, x *exchange) *http.Request {
	x.trace, r = g.tracer.StartRequest(r, x.start, x.id)
	return r
}

// endServerSpan closes the stage still open (a refusal ends the pipeline inside one) and
// the server span, named for the route and with its status from the answer.
func (g *Gateway) endServerSpan(x *exchange, status int) {
	g.endStage(x)
	attrs := []attribute.KeyValue{
		attribute.Int("http.response.status_code", status),
		attribute.String("gateway.upstream", x.upstreamName()),
		attribute.String("gateway.caller", x.callerName()),
		attribute.String("gateway.outcome", x.outcome),
	}
	name := ""
	if x.route != nil {
		name = x.route.ID
		attrs = append(attrs, attribute.String("http.route", x.route.Template), attribute.Int64("gateway.cost", x.route.Cost))
	}
	x.trace.End(name, status >= 500 || x.outcome == "aborted", x.outcome, attrs...)
}

// traceAuth opens the authenticate+route span (router.go places it before authenticate).
func (g *Gateway) traceAuth(next http.Handler) http.Handler {
	return g.stageStep(next, spanRoute)
}

// traceRouted closes it once the scopes are checked.
func (g *Gateway) traceRouted(next http.Handler) http.Handler { return g.stageStep(next, "") }

// traceWait opens the wait-for-points span (before spend).
func (g *Gateway) traceWait(next http.Handler) http.Handler { return g.stageStep(next, spanWait) }

// tracePaid closes it when the points are granted (after spend).
func (g *Gateway) tracePaid(next http.Handler) http.Handler { return g.stageStep(next, "") }

// stageStep closes the open stage span and opens one named name ("" for none).
func (g *Gateway) stageStep(next http.Handler, name string) http.Handler {
	if g.tracer == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		if x.trace != nil {
			g.endStage(x)
			if name != "" {
				x.trace.StartStage(r.Context(), name)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// endStage closes the open stage span; the wait span gets the decision's attributes.
func (g *Gateway) endStage(x *exchange) {
	t := x.trace
	if !t.InStage() {
		return
	}
	d := x.decision
	if d.Cost <= 0 {
		t.EndStage()
		return
	}
	outcome := "admitted"
	if !d.Allowed {
		outcome = "refused"
	}
	attrs := []attribute.KeyValue{
		attribute.Int64("gateway.budget.cost", d.Cost),
		attribute.Float64("gateway.budget.waited_seconds", d.Waited.Seconds()),
		attribute.String("gateway.budget.outcome", outcome),
		attribute.Int64("gateway.budget.used", d.Used),
		attribute.Int64("gateway.budget.capacity", d.Capacity),
	}
	if d.Reason != "" {
		attrs = append(attrs, attribute.String("gateway.budget.reason", string(d.Reason)))
	}
	if x.up != nil && x.up.spec != nil {
		attrs = append(attrs, attribute.String("gateway.budget.name", x.up.spec.Name))
	}
	t.EndStage(attrs...)
}
