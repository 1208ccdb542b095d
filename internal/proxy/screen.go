package proxy

import (
	"net/http"

	"github.com/budgetgw/gateway/internal/override"
)

// screen refuses what would let a request do more than its route says: a protocol upgrade
// (a WebSocket or h2c tunnel would carry further requests past every check, unpaid and
// unlogged) and a method override. Both are refused rather than stripped, so a client
// that relies on them learns at once instead of getting a different operation than it
// meant. No route row allows an upgrade.
func (g *Gateway) screen(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case override.Upgrade(r.Header):
			writeProblem(w, r, http.StatusBadRequest, "upgrade-refused",
				"The gateway does not switch protocols (WebSocket, h2c): every call must be a plain HTTP request it can check and count. Send it without the Upgrade header and Connection: upgrade.")
		case override.Method(r):
			writeProblem(w, r, http.StatusBadRequest, "method-override-refused",
				"Method override (X-HTTP-Method-Override, X-Method-Override, X-HTTP-Method, ?_method=) is refused: the gateway checks the request's own method. Send the request with the method you mean.")
		default:
			next.ServeHTTP(w, r)
		}
	})
}
