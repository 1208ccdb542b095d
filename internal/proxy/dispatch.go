package proxy

import (
	"net/http"
	"strings"
)

// dispatch picks the upstream whose mount is the longest prefix of the raw path, on a
// segment boundary, and leaves the rest of the path for routing.
func (g *Gateway) dispatch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		raw := r.URL.EscapedPath()
		for _, u := range x.snap.upstreams {
			rest, ok := strings.CutPrefix(raw, u.mount)
			if ok && (rest == "" || rest[0] == '/') {
				x.up = u
				next.ServeHTTP(w, r)
				return
			}
		}
		closeUnreadBody(w, r) // before authentication: the body stays unread
		writeProblem(w, r, http.StatusNotFound, "unknown-route", "No upstream is mounted at this path. Check the gateway base URL your client uses.")
	})
}

// relPath is the raw (still escaped) path below the upstream's mount.
func (u *upstream) relPath(r *http.Request) string {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), u.mount)
	if rest == "" {
		return "/"
	}
	return rest
}
