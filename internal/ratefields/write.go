package ratefields

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Policy is a budget's IETF httpapi RateLimit-Policy value and the start of its RateLimit
// value, built once per configuration: both fields are on every answer.
type Policy struct {
	policy string // "name";q=capacity;w=window-seconds
	prefix string // the RateLimit value up to the remaining points: "name";r=
}

// NewPolicy describes a budget of capacity points per window.
func NewPolicy(name string, capacity int64, window time.Duration) Policy {
	return Policy{
		policy: fmt.Sprintf("%q;q=%d;w=%d", name, capacity, int64(window/time.Second)),
		prefix: strconv.Quote(name) + ";r=",
	}
}

// Set writes the RateLimit-Policy and RateLimit fields: remaining points, reset in whole
// seconds. The value is built in one allocation, and the names are given in canonical
// form (no lookup).
func (p Policy) Set(h http.Header, remaining, reset int64) {
	h["Ratelimit-Policy"] = []string{p.policy}
	var buf [96]byte
	b := append(buf[:0], p.prefix...)
	b = strconv.AppendInt(b, remaining, 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, reset, 10)
	h["Ratelimit"] = []string{string(b)}
}
