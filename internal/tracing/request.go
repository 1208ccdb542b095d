package tracing

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Transport wraps rt so that each upstream call is a client span, a child of its
// request's, and hands the trace context on to the upstream.
func (p *Provider) Transport(rt http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(rt,
		otelhttp.WithTracerProvider(p.TracerProvider),
		otelhttp.WithPropagators(p.Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "upstream " + r.Method }))
}

// Request is the spans of one request: its server span, and the stage span open now.
// The proxy holds one per request while tracing is on, and none otherwise.
type Request struct {
	tracer trace.Tracer
	server trace.Span
	stage  trace.Span // nil between stages
}

// StartRequest opens r's server span at start, continuing the caller's trace if it sent
// traceparent, and returns r with the span in its context, so the upstream call is its
// child.
func (p *Provider) StartRequest(r *http.Request, start time.Time, id string) (*Request, *http.Request) {
	ctx := p.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := p.Tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("gateway.request_id", id)))
	return &Request{tracer: p.Tracer, server: span}, r.WithContext(ctx)
}

// InStage reports whether a stage span is open.
func (t *Request) InStage() bool { return t.stage != nil }

// StartStage opens a stage span named name under ctx's span; the open one must be ended
// first.
func (t *Request) StartStage(ctx context.Context, name string) {
	_, t.stage = t.tracer.Start(ctx, name)
}

// EndStage closes the open stage span, if any, with attrs.
func (t *Request) EndStage(attrs ...attribute.KeyValue) {
	if t.stage == nil {
		return
	}
	if len(attrs) > 0 {
		t.stage.SetAttributes(attrs...)
	}
	t.stage.End()
	t.stage = nil
}

// End closes the server span with attrs, renamed to name unless it is "", and marked an
// error described by why when failed. The stage span must be ended first.
func (t *Request) End(name string, failed bool, why string, attrs ...attribute.KeyValue) {
	if name != "" {
		t.server.SetName(name)
	}
	t.server.SetAttributes(attrs...)
	if failed {
		t.server.SetStatus(codes.Error, why)
	}
	t.server.End()
}

// TraceID is the request's trace id, for the access log; "" for a nil Request (tracing
// off) or a span without one.
func (t *Request) TraceID() string {
	if t == nil {
		return ""
	}
	if sc := t.server.SpanContext(); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}
