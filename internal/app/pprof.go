package app

import (
	"net/http"
	"net/http/pprof"
)

// registerPprof serves Go's profiler under /debug/pprof/ (server.pprof: true) for the
// performance work. It is off by default: a CPU profile costs CPU while it runs, and the
// admin listener is reachable by whatever can scrape metrics. /debug/pprof/cmdline is left
// out: a process's arguments are nobody's business on this listener.
func registerPprof(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol) // go tool pprof looks symbols up by POST
	mux.HandleFunc("GET /debug/pprof/cmdline", http.NotFound)
}
