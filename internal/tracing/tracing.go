package tracing

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the gateway's own spans.
const ScopeName = "github.com/budgetgw/gateway"

// Provider is tracing switched on: where spans go and how trace context travels.
type Provider struct {
	TracerProvider trace.TracerProvider
	Tracer         trace.Tracer
	Propagator     propagation.TextMapPropagator // W3C traceparent and tracestate
	shutdown       func(context.Context) error
}

// Shutdown sends the spans still batched and stops the exporter. Call it after the
// server has drained.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil || p.shutdown == nil {
		return nil
	}
	return p.shutdown(ctx)
}

// Enabled reports whether the environment asks for traces: an OTLP endpoint is set (for
// all signals or for traces), the SDK is not disabled, and the traces exporter is not
// "none". getenv is os.Getenv outside tests.
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp != "" && exp != "otlp" {
		return false // "none", or an exporter this build does not have
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// FromEnv returns nil (tracing off) unless Enabled; otherwise a Provider exporting OTLP
// over HTTP in batches. The exporter reads its endpoint, headers, timeout and TLS settings
// from the OTEL_EXPORTER_OTLP_* variables, the sampler comes from OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG (default: parentbased_always_on), the service name from
// OTEL_SERVICE_NAME (default: "gateway") and OTEL_RESOURCE_ATTRIBUTES.
func FromEnv(ctx context.Context, getenv func(string) string) (*Provider, error) {
	if !Enabled(getenv) {
		return nil, nil
	}
	if exp := getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); exp != "" && exp != "http/protobuf" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: this gateway exports traces over http/protobuf only", exp)
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	return New(sdktrace.WithBatcher(exporter)), nil
}

// New builds a Provider whose spans go to the given span processors (for tests:
// sdktrace.WithSyncer(tracetest.NewInMemoryExporter())). The sampler is the SDK's, read
// from the environment.
func New(opts ...sdktrace.TracerProviderOption) *Provider {
	res, err := resource.Merge(
		resource.NewSchemaless(attribute.String("service.name", "gateway")),
		resource.Environment(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil { // conflicting schema URLs: keep the environment's
		res = resource.Environment()
	}
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithResource(res)}, opts...)...)
	return &Provider{
		TracerProvider: tp,
		Tracer:         tp.Tracer(ScopeName),
		Propagator:     propagation.TraceContext{},
		shutdown:       tp.Shutdown,
	}
}
