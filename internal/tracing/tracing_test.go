package tracing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/tracing"
)

func TestTracingIsOnOnlyWhenTheEnvironmentNamesAnOTLPEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		on   bool
	}{
		{"nothing set: off", nil, false},
		{"a service name alone: off", map[string]string{"OTEL_SERVICE_NAME": "gw"}, false},
		{"an endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"a traces endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"the SDK disabled: off", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{"the traces exporter none: off", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
		{"the traces exporter otlp: on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "otlp"}, true},
	} {
		getenv := func(k string) string { return tc.env[k] }
		if got := tracing.Enabled(getenv); got != tc.on {
			t.Errorf("%s: Enabled = %v, want %v", tc.name, got, tc.on)
		}
		p, err := tracing.FromEnv(context.Background(), getenv)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if (p != nil) != tc.on {
			t.Errorf("%s: FromEnv gave a provider: %v, want %v", tc.name, p != nil, tc.on)
		}
		_ = p.Shutdown(context.Background())
	}
}

func TestAnOTLPProtocolOtherThanHTTPProtobufIsRefusedByName(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
	_, err := tracing.FromEnv(context.Background(), func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_PROTOCOL") {
		t.Errorf("error %v, want one naming OTEL_EXPORTER_OTLP_PROTOCOL", err)
	}
}
