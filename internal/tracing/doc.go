// Package tracing sets up OpenTelemetry traces the standard way, from the environment
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER and the rest of the
// OTEL_* variables the SDK and the OTLP/HTTP exporter read), and hands the proxy a tracer,
// the W3C propagator, a transport that traces upstream calls, and the spans of one
// request (Request: the server span and the stage open now). The proxy decides what goes
// in them.
//
// It must never turn tracing on unless an OTLP endpoint is configured, never put a key,
// token or raw path into a span, and never make the request path pay when tracing is off
// (the proxy then gets nil and skips every span).
package tracing
