package openapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/budgetgw/gateway/internal/scopes"
)

// BenchmarkServe measures the hot path: a cached view, written with this request's
// server URL.
func BenchmarkServe(b *testing.B) {
	data := retoolDocument(b)
	s, err := New(Options{
		Upstream: "retool",
		Routing:  Routing{Table: retoolTable(b), TokenScopes: scopes.MustParseSet("*"), Mount: "/"},
		Fetch:    func(context.Context) ([]byte, error) { return data, nil },
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	caller := scopes.MustParseSet("users:read", "apps:write")
	r := httptest.NewRequest(http.MethodGet, "http://gw.internal/api/v2/spec", nil)
	b.ReportAllocs()
	for b.Loop() {
		s.Serve(discard{}, r, caller)
	}
}

// BenchmarkParseAndBind measures what one refresh costs.
func BenchmarkParseAndBind(b *testing.B) {
	data := retoolDocument(b)
	tab := retoolTable(b)
	b.ReportAllocs()
	for b.Loop() {
		d, err := parseDocument(data)
		if err != nil {
			b.Fatal(err)
		}
		bind(d, tab, scopes.MustParseSet("*"))
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}
