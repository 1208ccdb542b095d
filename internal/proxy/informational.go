package proxy

import "net/http"

// informationalGuard keeps an upstream's 1xx answers (103 Early Hints, a stray 100) from
// the caller. ReverseProxy passes them on the moment they arrive, before ModifyResponse
// runs, so their headers would reach the caller unscrubbed (an upstream can echo the org
// token in them); it then clears the caller's header map, which would drop the request id
// set earlier. The gateway sends its own 100 Continue when it reads a body; hints are
// optional, so none is passed on. 101 is not informational here: ReverseProxy handles it
// apart (and an upgrade was never asked for: screen refuses them).
type informationalGuard struct {
	http.ResponseWriter
	id      string // the request id to put back after a dropped 1xx
	restore bool
}

func (g *informationalGuard) Header() http.Header {
	h := g.ResponseWriter.Header()
	if g.restore {
		g.restore = false
		clear(h) // what the 1xx added, if the clear after it has not run yet
		h.Set(requestIDHeader, g.id)
	}
	return h
}

func (g *informationalGuard) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		g.restore = true
		return
	}
	g.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach Flush and deadlines underneath.
func (g *informationalGuard) Unwrap() http.ResponseWriter { return g.ResponseWriter }
