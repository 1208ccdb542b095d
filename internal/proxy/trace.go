package proxy

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

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
// itself, and observe checks one pointer, so the request path pays nothing.

// Span names of the stages.
const (
	spanRoute = "authenticate+route"
	spanWait  = "wait for points"
)

// exchangeTrace is the tracing state of one request.
type exchangeTrace struct {
	server trace.Span
	stage  trace.Span // the stage span open now, if any
}

func (g *Gateway) setTracing(p *tracing.Provider) {
	if p == nil {
		return
	}
	g.tracer, g.propagator = p.Tracer, p.Propagator
	g.transport = otelhttp.NewTransport(g.transport,
		otelhttp.WithTracerProvider(p.TracerProvider),
		otelhttp.WithPropagators(p.Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "upstream " + r.Method }))
}

// startServerSpan opens the request's server span, continuing the caller's trace if it
// sent traceparent, and puts it in the request's context so the upstream call is its child.
func (g *Gateway) startServerSpan(r *http.Request, x *exchange) *http.Request {
	ctx := g.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := g.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(x.start),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("gateway.request_id", x.id)))
	x.trace = &exchangeTrace{server: span}
	return r.WithContext(ctx)
}

// endServerSpan closes the stage still open (a refusal ends the pipeline inside one) and
// the server span, named for the route and with its status from the answer.
func (g *Gateway) endServerSpan(x *exchange, status int) {
	t := x.trace
	g.endStage(x)
	span := t.server
	attrs := []attribute.KeyValue{
		attribute.Int("http.response.status_code", status),
		attribute.String("gateway.upstream", x.upstreamName()),
		attribute.String("gateway.caller", x.callerName()),
		attribute.String("gateway.outcome", x.outcome),
	}
	if x.route != nil {
		span.SetName(x.route.ID)
		attrs = append(attrs, attribute.String("http.route", x.route.Template), attribute.Int64("gateway.cost", x.route.Cost))
	}
	span.SetAttributes(attrs...)
	if status >= 500 || x.outcome == "aborted" {
		span.SetStatus(codes.Error, x.outcome)
	}
	span.End()
}

// traceID is the request's trace id for the access log ("" when tracing is off).
func (x *exchange) traceID() string {
	if x.trace == nil {
		return ""
	}
	if sc := x.trace.server.SpanContext(); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
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
				_, x.trace.stage = g.tracer.Start(r.Context(), name)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// endStage closes the open stage span; the wait span gets the decision's attributes.
func (g *Gateway) endStage(x *exchange) {
	t := x.trace
	if t.stage == nil {
		return
	}
	if d := x.decision; d.Cost > 0 {
		outcome := "admitted"
		if !d.Allowed {
			outcome = "refused"
		}
		t.stage.SetAttributes(
			attribute.Int64("gateway.budget.cost", d.Cost),
			attribute.Float64("gateway.budget.waited_seconds", d.Waited.Seconds()),
			attribute.String("gateway.budget.outcome", outcome),
			attribute.Int64("gateway.budget.used", d.Used),
			attribute.Int64("gateway.budget.capacity", d.Capacity),
		)
		if d.Reason != "" {
			t.stage.SetAttributes(attribute.String("gateway.budget.reason", string(d.Reason)))
		}
		if x.up != nil && x.up.spec != nil {
			t.stage.SetAttributes(attribute.String("gateway.budget.name", x.up.spec.Name))
		}
	}
	t.stage.End()
	t.stage = nil
}
