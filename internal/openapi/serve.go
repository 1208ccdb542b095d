package openapi

import (
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"

	"github.com/budgetgw/gateway/internal/problem"
	"github.com/budgetgw/gateway/internal/scopes"
)

// Serve writes the document as the caller may see it: only the operations its scopes
// and the org token's allow, with the gateway as the server. The caller must have been
// authenticated; Serve spends nothing and never calls the upstream.
//
// The answer is private (it depends on the key) and revalidated with an ETag, so a
// client polling the document gets 304s. Gateway-Spec-Source says whether it is the
// upstream's document, a stale copy of it, or the fallback built from the route table.
func (s *Spec) Serve(w http.ResponseWriter, r *http.Request, caller scopes.Set) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// As for any operation the table does not know (IsSpecRequest excludes these).
		problem.Write(w, problem.New(http.StatusNotFound, "unknown-route", "The OpenAPI document is read with GET."))
		return
	}
	st := s.cur.Load()
	v := st.view(caller)
	servers := serversJSON(st.routing.serverURL(r))
	etag := `"` + v.tag + "-" + digest(servers) + `"`

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", etag)
	h.Set("Gateway-Spec-Source", st.source)
	if matchesETag(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(v.before)+len(servers)+len(v.after)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	for _, part := range [][]byte{v.before, servers, v.after} {
		if _, err := w.Write(part); err != nil {
			return // the client has gone; nothing to tell it
		}
	}
}

// view finds or renders the caller's view of the document.
func (st *state) view(caller scopes.Set) *view {
	key := st.bound.visible(caller)
	if v, ok := st.views.get(key); ok {
		return v
	}
	return st.views.put(key, st.bound.render(key))
}

// serverURL is the gateway's URL for the mount, plus BasePath: public_url when
// configured, else this request's scheme and Host. The scheme comes from the
// connection (r.TLS), never from X-Forwarded-Proto, which any caller can send; behind
// a TLS-terminating proxy, configure public_url.
func (rt routing) serverURL(r *http.Request) string {
	if rt.server != "" {
		return rt.server
	}
	if r.Host == "" {
		return rt.mount + BasePath // relative to the document's own URL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + rt.mount + BasePath
}

func serversJSON(url string) []byte {
	b := make([]byte, 0, len(url)+64)
	b = append(b, `[{"url":`...)
	b = append(b, encodeString(url)...)
	b = append(b, `,"description":"The budget gateway"}]`...)
	return b
}

func digest(b []byte) string {
	h := fnv.New64a()
	h.Write(b)
	return strconv.FormatUint(h.Sum64(), 36)
}

// matchesETag implements If-None-Match's weak comparison for our one strong tag.
func matchesETag(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
