package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

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
	// The floor to compare with: a plain ReverseProxy that only swaps the credential,
	// on the gateway's transport settings (bench's plainproxy, in process).
	b.Run("plain ReverseProxy", func(b *testing.B) {
		target, _ := url.Parse(up.URL)
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.Out.Header.Set("Authorization", "Bearer org-token")
			},
			Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second},
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			req := httptest.NewRequest(http.MethodGet, "/api/v2/users?n="+strconv.Itoa(i), nil)
			req.Header.Set("Authorization", "Bearer caller")
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
	for _, tc := range []struct {
		name string
		tp   *tracing.Provider
	}{
		{"tracing off", nil},
		{"tracing on", tracing.New(sdktrace.WithSyncer(tracetest.NewNoopExporter()))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			gw := proxytest.StartRetool(b, proxytest.RetoolOptions{BaseURL: up.URL, Capacity: 1 << 40, Tracing: tc.tp, Logger: discardLogger()})
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

// discardLogger encodes every line as production does (JSON, info) and writes it nowhere.
func discardLogger() *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(io.Discard), zap.InfoLevel))
}
