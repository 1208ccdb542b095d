package proxy_test

import (
	"bytes"
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

	"github.com/budgetgw/gateway/internal/logline"
	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/tracing"
)

// BenchmarkForwardedRead is one distinct admitted read through the whole pipeline (memory
// store, a real upstream on loopback), with tracing off and on: allocs/op with tracing
// off is the number to keep down; the difference is what tracing costs when asked for.
func BenchmarkForwardedRead(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(cannedBody)
	}))
	b.Cleanup(up.Close)
	// The floor to compare with: a plain ReverseProxy that only swaps the credential,
	// on the gateway's transport settings (bench's plainproxy, in process).
	b.Run("plain ReverseProxy", func(b *testing.B) {
		serveReads(b, plainProxy(up.URL, &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}), "Bearer caller")
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
			serveReads(b, gw.Handler, "Bearer "+gw.Key(proxytest.Reader))
		})
	}
}

// BenchmarkPipeline is BenchmarkForwardedRead with the upstream in memory: with no hop,
// ns/op is the CPU of one goroutine, and the gap between the two rows is the gateway's
// own work per call (authentication, routing, scopes, sharing, the budget, metrics, the
// access line). It moves less on a shared machine than a loopback exchange does. It does
// not hold the garbage collector's marking, which runs on the other core while one is
// idle: allocs/op stands for that, and bench's CPU per call measures it.
func BenchmarkPipeline(b *testing.B) {
	b.Run("plain ReverseProxy", func(b *testing.B) {
		serveReads(b, plainProxy("http://upstream.invalid", cannedUpstream{}), "Bearer caller")
	})
	b.Run("gateway", func(b *testing.B) {
		gw := proxytest.StartRetool(b, proxytest.RetoolOptions{BaseURL: "http://upstream.invalid", Transport: cannedUpstream{}, Capacity: 1 << 40, Logger: discardLogger()})
		serveReads(b, gw.Handler, "Bearer "+gw.Key(proxytest.Reader))
	})
}

// serveReads sends h one distinct read per iteration (a counter in the query, so no two
// are shared) with the given Authorization, and fails on any answer but 200.
func serveReads(b *testing.B, h http.Handler, authorization string) {
	b.Helper()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req := httptest.NewRequest(http.MethodGet, "/api/v2/users?n="+strconv.Itoa(i), nil)
		req.Header.Set("Authorization", authorization)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// plainProxy is a ReverseProxy that only swaps the credential: what the gateway is
// measured against.
func plainProxy(base string, transport http.RoundTripper) *httputil.ReverseProxy {
	target, _ := url.Parse(base)
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Set("Authorization", "Bearer org-token")
		},
		Transport: transport,
	}
}

var cannedBody = []byte(`{"success":true,"data":[{"id":"user_1"}],"total_count":1}`)

// cannedUpstream answers every call in memory with cannedBody, as the loopback upstream
// of BenchmarkForwardedRead does.
type cannedUpstream struct{}

func (cannedUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(cannedBody))}},
		ContentLength: int64(len(cannedBody)),
		Body:          io.NopCloser(bytes.NewReader(cannedBody)),
		Request:       r,
	}, nil
}

// discardLogger encodes every line as production does (JSON, info; the access line
// through package logline) and writes it nowhere.
func discardLogger() *zap.Logger {
	core := zapcore.NewCore(zapcore.NewJSONEncoder(logline.EncoderConfig()), zapcore.AddSync(io.Discard), zap.InfoLevel)
	return zap.New(lineCore{Core: core, out: io.Discard})
}
