package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/tracing"
)

// BenchmarkForwardedRead is one distinct admitted read through the whole pipeline (memory
// store, a real upstream on loopback), with tracing off and on: allocs/op with tracing
// off is the number to keep down; the difference is what tracing costs when asked for.
func BenchmarkForwardedRead(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true,"data":[{"id":"user_1"}],"total_count":1}`))
	}))
	b.Cleanup(up.Close)
	for _, tc := range []struct {
		name string
		tp   *tracing.Provider
	}{
		{"tracing off", nil},
		{"tracing on", tracing.New(sdktrace.WithSyncer(tracetest.NewNoopExporter()))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			gw := proxytest.StartRetool(b, proxytest.RetoolOptions{BaseURL: up.URL, Capacity: 1 << 40, Tracing: tc.tp})
			key := "Bearer " + gw.Key(proxytest.Reader)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				req := httptest.NewRequest(http.MethodGet, "/api/v2/users?n="+strconv.Itoa(i), nil)
				req.Header.Set("Authorization", key)
				rec := httptest.NewRecorder()
				gw.Handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
