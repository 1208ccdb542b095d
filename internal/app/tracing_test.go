package app_test

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// otlpReceiver is a small OTLP/HTTP trace receiver: it decodes each export request
// (protobuf) and keeps the spans with their resource's service name.
type otlpReceiver struct {
	mu    sync.Mutex
	spans map[string]*tracepb.Span // by name
	svc   map[string]string        // span name -> service.name
}

func startOTLPReceiver(t *testing.T) (*otlpReceiver, string) {
	rcv := &otlpReceiver{spans: map[string]*tracepb.Span{}, svc: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "not an OTLP/HTTP protobuf trace export", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rcv.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			svc := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					svc = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					rcv.spans[s.GetName()], rcv.svc[s.GetName()] = s, svc
				}
			}
		}
		rcv.mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return rcv, srv.URL
}

// await polls until every named span arrived (the batch is sent within the schedule
// delay set below), with a generous deadline for a loaded machine.
func (r *otlpReceiver) await(t *testing.T, names ...string) map[string]*tracepb.Span {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		missing := ""
		for _, n := range names {
			if r.spans[n] == nil {
				missing = n
			}
		}
		got := map[string]*tracepb.Span{}
		for n, s := range r.spans {
			got[n] = s
		}
		r.mu.Unlock()
		if missing == "" {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("span %q never reached the receiver; got %d spans", missing, len(got))
		}
	}
}

// Tracing is configured the standard way: with OTEL_EXPORTER_OTLP_ENDPOINT set, a gateway
// built by app.New exports its spans over OTLP/HTTP, under OTEL_SERVICE_NAME, continuing
// the caller's trace. (Not parallel: it sets the process's environment.)
func TestTracesReachAnOTLPReceiverConfiguredByTheEnvironment(t *testing.T) {
	rcv, endpoint := startOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
	t.Setenv("OTEL_SERVICE_NAME", "gateway-under-test")
	t.Setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "20") // ms: send each batch at once

	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{})
	req := gw.NewRequest(t, http.MethodGet, "/api/v2/users", nil)
	req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if a := gw.Do(t, req); a.Status != http.StatusOK {
		t.Fatalf("status %d: %s", a.Status, a.Body)
	}

	spans := rcv.await(t, "GET /api/v2/users", "authenticate+route", "wait for points", "upstream GET")
	server := spans["GET /api/v2/users"]
	if id := hex.EncodeToString(server.GetTraceId()); id != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("server span trace id %s, want the caller's", id)
	}
	if server.GetKind() != tracepb.Span_SPAN_KIND_SERVER || hex.EncodeToString(server.GetParentSpanId()) != "00f067aa0ba902b7" {
		t.Errorf("server span kind %v parent %x", server.GetKind(), server.GetParentSpanId())
	}
	if svc := rcv.svc["GET /api/v2/users"]; svc != "gateway-under-test" {
		t.Errorf("service.name %q, want OTEL_SERVICE_NAME's", svc)
	}
	if up := spans["upstream GET"]; string(up.GetParentSpanId()) != string(server.GetSpanId()) {
		t.Errorf("upstream span's parent %x, want the server span %x", up.GetParentSpanId(), server.GetSpanId())
	}
	// The upstream (the simulated Retool) saw the same trace.
	if got := gw.Sandbox.Arrivals(); len(got) != 1 || !strings.HasPrefix(got[0].Header.Get("Traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-") {
		t.Errorf("the upstream's arrivals do not carry the caller's trace id")
	}
}
