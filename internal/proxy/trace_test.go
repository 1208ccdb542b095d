package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/tracing"
)

const (
	callerTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID  = "00f067aa0ba902b7"
	traceparent   = "00-" + callerTraceID + "-" + callerSpanID + "-01"
)

// tracedUpstream answers status and records the trace headers of each call.
type tracedUpstream struct {
	mu      sync.Mutex
	headers []http.Header
}

func startTracedUpstream(t *testing.T, status int) (*tracedUpstream, string) {
	u := &tracedUpstream{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.headers = append(u.headers, r.Header.Clone())
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"success":true,"data":[]}`))
	}))
	t.Cleanup(srv.Close)
	return u, srv.URL
}

func (u *tracedUpstream) calls() []http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]http.Header(nil), u.headers...)
}

func startTraced(t *testing.T, o proxytest.RetoolOptions) (*proxytest.Retool, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	o.Tracing = tracing.New(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	return proxytest.StartRetool(t, o), exp
}

// spansByName indexes the ended spans of one trace.
func spansByName(t *testing.T, exp *tracetest.InMemoryExporter, traceID string) map[string]tracetest.SpanStub {
	t.Helper()
	out := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID().String() == traceID {
			out[s.Name] = s
		}
	}
	return out
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestATracedCallContinuesTheCallersTraceToTheUpstreamWithASpanPerStage(t *testing.T) {
	t.Parallel()
	up, base := startTracedUpstream(t, http.StatusOK)
	gw, exp := startTraced(t, proxytest.RetoolOptions{BaseURL: base})

	req := gw.NewRequest(t, http.MethodGet, "/api/v2/users/42", nil)
	req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
	req.Header.Set("Traceparent", traceparent)
	req.Header.Set("Tracestate", "vendor=opaque")
	req.Header.Set("X-Request-Id", "traced-1")
	if a := gw.Do(t, req); a.Status != http.StatusOK {
		t.Fatalf("status %d: %s", a.Status, a.Body)
	}

	calls := up.calls()
	if len(calls) != 1 {
		t.Fatalf("upstream saw %d calls, want 1", len(calls))
	}
	sent, err := trace.ParseTraceState(calls[0].Get("Tracestate"))
	if tp := calls[0].Get("Traceparent"); !strings.HasPrefix(tp, "00-"+callerTraceID+"-") || strings.Contains(tp, callerSpanID) || err != nil || sent.Get("vendor") != "opaque" {
		t.Errorf("upstream got traceparent %q, tracestate %q: want the caller's trace id with the gateway's span as parent, and the caller's tracestate", tp, calls[0].Get("Tracestate"))
	}

	line := gw.Logs.AwaitAccessLine(t, "traced-1").ContextMap()
	spans := spansByName(t, exp, callerTraceID)
	server, ok := spans["GET /api/v2/users/{userId}"]
	if !ok {
		t.Fatalf("no server span named for the route; spans: %v", names(spans))
	}
	if server.SpanKind != trace.SpanKindServer || server.Parent.SpanID().String() != callerSpanID || !server.Parent.IsRemote() {
		t.Errorf("server span kind %v parent %v, want a server span under the caller's span", server.SpanKind, server.Parent.SpanID())
	}
	if server.Status.Code != codes.Unset {
		t.Errorf("server span status %v for a 200, want unset", server.Status)
	}
	if a := attrs(server); a["http.response.status_code"].AsInt64() != 200 || a["gateway.caller"].AsString() != "reader" ||
		a["http.route"].AsString() != "/api/v2/users/{userId}" || a["gateway.request_id"].AsString() != "traced-1" {
		t.Errorf("server span attributes %v", server.Attributes)
	}
	for _, a := range server.Attributes {
		if strings.Contains(a.Value.Emit(), "/42") || strings.Contains(a.Value.Emit(), gw.Key(proxytest.Reader)) {
			t.Errorf("server span attribute %s = %q carries the raw path or the key", a.Key, a.Value.Emit())
		}
	}
	wait, ok := spans["wait for points"]
	if !ok {
		t.Fatalf("no wait-for-points span; spans: %v", names(spans))
	}
	if a := attrs(wait); a["gateway.budget.cost"].AsInt64() != 2 || a["gateway.budget.outcome"].AsString() != "admitted" ||
		a["gateway.budget.used"].AsInt64() < 2 || a["gateway.budget.waited_seconds"].Type() != attribute.FLOAT64 {
		t.Errorf("wait span attributes %v", wait.Attributes)
	}
	for _, name := range []string{"authenticate+route", "wait for points", "upstream GET"} {
		s, ok := spans[name]
		if !ok {
			t.Errorf("no %q span; spans: %v", name, names(spans))
			continue
		}
		if s.Parent.SpanID() != server.SpanContext.SpanID() {
			t.Errorf("%q span's parent is %v, want the server span %v", name, s.Parent.SpanID(), server.SpanContext.SpanID())
		}
	}
	if c := spans["upstream GET"]; c.SpanKind != trace.SpanKindClient || !strings.Contains(calls[0].Get("Traceparent"), c.SpanContext.SpanID().String()) {
		t.Errorf("upstream span kind %v id %v; the upstream's traceparent %q should name it", c.SpanKind, c.SpanContext.SpanID(), calls[0].Get("Traceparent"))
	}
	if line["trace_id"] != callerTraceID {
		t.Errorf("access line trace_id = %v, want %s", line["trace_id"], callerTraceID)
	}
}

func TestATracedRefusalAndAFailingUpstreamShowInTheSpans(t *testing.T) {
	t.Parallel()
	_, base := startTracedUpstream(t, http.StatusInternalServerError)
	gw, exp := startTraced(t, proxytest.RetoolOptions{BaseURL: base, Capacity: 2})

	// The first call spends the whole budget and the upstream fails it; the second is refused.
	for i, want := range []int{http.StatusInternalServerError, http.StatusTooManyRequests} {
		req := gw.NewRequest(t, http.MethodGet, "/api/v2/users", nil)
		req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
		req.Header.Set("Traceparent", "00-"+strings.Repeat(string(rune('a'+i)), 32)+"-"+callerSpanID+"-01")
		if a := gw.Do(t, req); a.Status != want {
			t.Fatalf("call %d: status %d, want %d: %s", i, a.Status, want, a.Body)
		}
	}

	failed := spansByName(t, exp, strings.Repeat("a", 32))
	if s := failed["GET /api/v2/users"]; s.Status.Code != codes.Error {
		t.Errorf("server span of a 500 has status %v, want error; spans %v", s.Status, names(failed))
	}
	refused := spansByName(t, exp, strings.Repeat("b", 32))
	wait, ok := refused["wait for points"]
	if !ok {
		t.Fatalf("a refused call has no wait span; spans %v", names(refused))
	}
	if a := attrs(wait); a["gateway.budget.outcome"].AsString() != "refused" || a["gateway.budget.reason"].AsString() == "" {
		t.Errorf("wait span of a refusal: %v", wait.Attributes)
	}
	if _, ok := refused["upstream GET"]; ok {
		t.Error("a refused call has an upstream span")
	}
	if s := refused["GET /api/v2/users"]; s.Status.Code != codes.Unset || attrs(s)["http.response.status_code"].AsInt64() != 429 {
		t.Errorf("server span of a 429: status %v, attributes %v", s.Status, s.Attributes)
	}
}

// With tracing off (the default), the caller's trace context still reaches the upstream
// untouched, and the access line has no trace id.
func TestWithTracingOffTheCallersTraceContextPassesThrough(t *testing.T) {
	t.Parallel()
	up, base := startTracedUpstream(t, http.StatusOK)
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: base})
	req := gw.NewRequest(t, http.MethodGet, "/api/v2/users", nil)
	req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
	req.Header.Set("Traceparent", traceparent)
	req.Header.Set("Tracestate", "vendor=opaque")
	req.Header.Set("X-Request-Id", "untraced")
	if a := gw.Do(t, req); a.Status != http.StatusOK {
		t.Fatalf("status %d", a.Status)
	}
	if h := up.calls()[0]; h.Get("Traceparent") != traceparent || h.Get("Tracestate") != "vendor=opaque" {
		t.Errorf("upstream got traceparent %q tracestate %q, want the caller's", h.Get("Traceparent"), h.Get("Tracestate"))
	}
	if id, ok := gw.Logs.AwaitAccessLine(t, "untraced").ContextMap()["trace_id"]; ok {
		t.Errorf("access line has trace_id %v with tracing off", id)
	}
}

func names(m map[string]tracetest.SpanStub) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	return out
}
