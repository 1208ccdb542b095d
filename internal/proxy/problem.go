package proxy

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// problem is an RFC 9457 body. Detail always tells the caller what to do next.
type problem struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Status     int    `json:"status"`
	Detail     string `json:"detail"`
	RequestID  string `json:"request_id,omitempty"`
	RetryAfter int64  `json:"retry_after,omitempty"` // seconds, as in the header
	Reason     string `json:"reason,omitempty"`
}

// problemType makes the stable type URI for a problem slug; README lists them all.
func problemType(slug string) string { return "urn:budgetgw:problem:" + slug }

// writeProblem answers with a problem body; outcome is recorded for the log and metrics.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, slug, detail string) {
	writeProblemWith(w, r, problem{Status: status, Type: problemType(slug), Detail: detail})
}

func writeProblemWith(w http.ResponseWriter, r *http.Request, p problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if x := exchangeOf(r); x != nil {
		p.RequestID = x.id
		if x.outcome == "" {
			x.outcome = p.Type[len("urn:budgetgw:problem:"):]
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(p.RetryAfter, 10))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// ceilSeconds rounds a wait up to whole seconds, at least 1: Retry-After: 0 invites a spin.
func ceilSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
