package proxy

import (
	"net/http"
	"net/http/httptest"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/share"
)

// HoldFlight puts a read in flight for method target on g's first upstream, led by
// nobody who will ever answer, until release is called: what a stalled leader looks like
// to the reads that follow it.
func HoldFlight(g *Gateway, method, target string, header http.Header) (release func()) {
	u := g.current.Load().upstreams[0]
	r := httptest.NewRequest(method, target, nil)
	r.Header = header
	canonical, err := routes.Canonical(u.relPath(r))
	if err != nil {
		panic(err)
	}
	rt, ok := u.table.Match(method, canonical)
	if !ok {
		panic("HoldFlight: no route for " + target)
	}
	x := &exchange{up: u, route: rt, canonical: canonical, forwardPath: rt.ForwardPath(canonical)}
	key := share.Key(u.name, x.forwardPath, share.Request(r))
	fl, _ := g.flights.Join(key, u.name, x.forwardPath)
	return func() { g.flights.Finish(key, fl, nil) }
}
