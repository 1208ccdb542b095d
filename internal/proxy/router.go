package proxy

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// router is the request pipeline, in order. Each step answers or passes on, and every
// request that passes them all is forwarded: the steps are the routing (an unknown route
// is refused by the route step), so they are chained directly, without a mux's tree,
// route context and path values per request.
func (g *Gateway) router() http.Handler {
	return chi.Chain(
		g.requestID,    // X-Request-Id: kept if sane, else minted; echoed and forwarded
		g.observe,      // one access-log line and the request metrics, whatever happens below
		g.recoverPanic, // a bug answers 500 and is logged (inside observe, so it gets its line)
		g.dispatch,     // which upstream, by mount (404 when none)
		g.screen,       // 400: upgrades (tunnels) and method overrides are refused, public rows included
		g.public,       // public rows (health probes): no key, no points, no credentials upstream
		g.traceAuth,    // tracing (when on): the authenticate+route span opens
		g.authenticate, // caller key: 401 missing/unknown/expired, 423 disabled; no body byte read before
		g.limitBody,    // 413 before anything is spent; the body read under server.read_timeout (408)
		g.serveSpec,    // {mount}/api/v2/spec: the OpenAPI document, filtered for this caller
		g.route,        // canonical path (400), known route (404)
		g.checkScopes,  // 403, before any point is spent
		g.traceRouted,  // tracing: the authenticate+route span closes
		g.share,        // reads: a fresh cached answer, or follow an identical read in flight
		g.traceWait,    // tracing: the wait-for-points span opens
		g.spend,        // points from the shared budget: wait, or 429/503
		g.tracePaid,    // tracing: it closes with the decision (cost, waited, used)
	).HandlerFunc(g.forward) // org token in, caller credentials out
}
