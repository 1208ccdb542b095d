package proxy

import (
	"errors"
	"net/http"

	"github.com/budgetgw/gateway/internal/routes"
)

// route canonicalises the path once; the same canonical path decides the route (and so
// the scope and cost) and is what gets forwarded. Anything ambiguous is refused.
func (g *Gateway) route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		canonical, err := x.canonicalPath(r)
		if err != nil {
			detail := "The path is not in canonical form, so the gateway cannot tell which API operation it is. Send the plain path, without encoded slashes, dot segments or ';' parameters."
			if errors.Is(err, routes.ErrNotCanonical) {
				detail = "The path is refused: " + err.Error() + ". Send the plain path, as the API documents it."
			}
			writeProblem(w, r, http.StatusBadRequest, "path-not-canonical", detail)
			return
		}
		rt, ok := x.up.table.Match(r.Method, canonical)
		var fwd string
		if ok {
			fwd = rt.ForwardPath(canonical)
		}
		if fwd == "" {
			writeProblem(w, r, http.StatusNotFound, "unknown-route", "The gateway does not know this operation ("+r.Method+" on this path), so it is not forwarded. Check the method and path against the API reference, or ask the operators to add the route.")
			return
		}
		x.route, x.canonical, x.forwardPath = rt, canonical, fwd
		// Patience is read here, from the caller's own headers: the share step forwards
		// only the headers that key a shared read, and a follower waits no longer than
		// this request would on its own.
		x.maxWait, x.preferApplied = x.up.patience(x.caller, r.Header)
		next.ServeHTTP(w, r)
	})
}

// checkScopes refuses, before any point is spent, a call the caller may not make, and a
// call the org token itself may not make (the upstream would refuse it and still charge).
// A sensitive route (it mints or reveals credentials) requires its scope exactly, from the
// caller and in token_scopes: "*", "*:read" and the like never grant it (scopes.Exact).
func (g *Gateway) checkScopes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		need := x.route.Scope
		exactly := ""
		if need.Exact {
			exactly = " This operation mints or reveals credentials, so only that exact scope grants it: never a wildcard (*, *:read, *:write, a bare family) or a write scope."
		}
		switch {
		case !x.caller.Scopes.Allows(need):
			g.metrics.ScopeDenials.WithLabelValues(x.caller.Name, need.String()).Inc()
			writeProblem(w, r, http.StatusForbidden, "scope-missing", "Your caller key lacks the scope "+need.String()+" this operation needs."+exactly+" Ask the gateway's operators to grant it to your service.")
		case !x.up.tokenScopes.Allows(need):
			g.metrics.ScopeDenials.WithLabelValues(x.caller.Name, need.String()).Inc()
			writeProblem(w, r, http.StatusForbidden, "token-scope-missing", "The organisation's token is not granted "+need.String()+", so the gateway does not make this call with it."+exactly+" Ask the operators to add the scope to the org token and to token_scopes.")
		default:
			next.ServeHTTP(w, r)
		}
	})
}
