package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

const requestIDHeader = "X-Request-Id" // canonical: the header maps are indexed with it directly

// requestID keeps a caller's request id when it is short and plain (so traces join up),
// and mints one otherwise: a hostile header never reaches a log line verbatim.
func (g *Gateway) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !plainID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		x := &exchange{start: g.now(), id: id, snap: g.current.Load()}
		w.Header()[requestIDHeader] = []string{id}
		next.ServeHTTP(w, withExchange(r, x))
	})
}

func plainID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
