package proxy

import (
	"net/http"
	"time"

	problempkg "github.com/budgetgw/gateway/internal/problem"
)

// problem is the shared RFC 9457 body.
type problem = problempkg.Details

// problemType makes the stable type URI for a problem slug.
func problemType(slug string) string { return problempkg.Type(slug) }

// writeProblem answers with a problem body; its slug is recorded as the outcome.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, slug, detail string) {
	writeProblemWith(w, r, problempkg.New(status, slug, detail))
}

func writeProblemWith(w http.ResponseWriter, r *http.Request, p problem) {
	if x := exchangeOf(r); x != nil {
		p.RequestID = x.id
		if x.outcome == "" {
			x.outcome = problempkg.Slug(p.Type)
		}
	}
	problempkg.Write(w, p)
}

// ceilSeconds rounds a wait up to whole seconds, at least 1: Retry-After: 0 invites a spin.
func ceilSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
