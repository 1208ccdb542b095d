package openapi

import (
	"context"
	"testing"

	"github.com/budgetgw/gateway/internal/scopes"
)

// A reload keeps the documents of upstreams still there (what was fetched stays), starts
// new ones, stops removed ones, and names the one it could not apply.
func TestASetOutlivesReloadsAndStopsWhatIsRemoved(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, retoolDocument(t))
	opts := func(name string) Options {
		return Options{Upstream: name, Fetch: up.fetch(),
			Routing: Routing{Table: retoolTable(t), TokenScopes: scopes.MustParseSet(everything(t)...), Mount: "/" + name}}
	}
	var s Set
	if _, err := s.Sync([]Options{opts("a"), opts("b")}); err != nil {
		t.Fatal(err)
	}
	a := s.Get("a")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	<-up.fetched // running: each held document fetches on start

	if _, err := s.Sync([]Options{opts("a"), opts("c")}); err != nil {
		t.Fatal(err)
	}
	if s.Get("a") != a || s.Get("b") != nil || s.Get("c") == nil {
		t.Fatalf("after the reload: a kept %v, b gone %v, c added %v", s.Get("a") == a, s.Get("b") == nil, s.Get("c") != nil)
	}
	bad := opts("a")
	bad.Routing.Mount = "no-slash"
	if failed, err := s.Sync([]Options{opts("c"), bad}); err == nil || failed != 1 {
		t.Fatalf("a bad routing: failed %d, %v; want index 1 and an error", failed, err)
	}
	cancel()
	<-done // Run returns once every refresh loop has stopped
}
