package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// answer is a decided response; write is the only code that touches the ResponseWriter.
type answer struct {
	status     int
	body       any           // nil: no body (204)
	raw        []byte        // already encoded JSON, sent instead of body
	retryAfter time.Duration // > 0: sent as Retry-After in whole seconds
}

// envelope is the shape of every Retool error body and of single-object bodies.
type envelope struct {
	Success bool   `json:"success"`
	Message string `json:"message,omitempty"`
	Data    any    `json:"data,omitempty"`
}

// list is Retool's list body. NextToken is always null: the sandbox returns one page.
type list struct {
	Success    bool    `json:"success"`
	Data       []any   `json:"data"`
	TotalCount int     `json:"total_count"`
	NextToken  *string `json:"next_token"`
	HasMore    bool    `json:"has_more"`
}

func failure(status int, message string) *answer {
	return &answer{status: status, body: envelope{Message: message}}
}

func rateLimited(retryAfter time.Duration) *answer {
	a := failure(http.StatusTooManyRequests, "Rate limit exceeded: retry after the Retry-After period")
	a.retryAfter = retryAfter
	return a
}

func (a *answer) write(w http.ResponseWriter) {
	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(ceilSeconds(a.retryAfter), 10))
	}
	if a.body == nil && a.raw == nil {
		w.WriteHeader(a.status)
		return
	}
	b, err := a.raw, error(nil)
	if b == nil {
		b, err = json.Marshal(a.body)
	}
	if err != nil {
		// Bodies are built from decoded JSON and fixed structs; this cannot happen.
		a.status, b = http.StatusInternalServerError, []byte(`{"success":false,"message":"encode"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(a.status)
	_, _ = w.Write(b)
}

// ceilSeconds rounds up, so a caller that waits the advertised time is never early.
func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
