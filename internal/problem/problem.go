// Package problem writes RFC 9457 problem details. Every error the gateway itself answers
// (proxy and admin API) goes through Write, so they all share one shape and one set of
// type URIs (urn:budgetgw:problem:<slug>, catalogued in types.go and docs/http-api.md).
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

const typePrefix = "urn:budgetgw:problem:"

// Details is a problem body. Detail always tells the reader what to do next.
type Details struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Status     int    `json:"status"`
	Detail     string `json:"detail"`
	RequestID  string `json:"request_id,omitempty"`
	RetryAfter int64  `json:"retry_after,omitempty"` // seconds, as in the header
	Reason     string `json:"reason,omitempty"`
}

// Type makes the type URI for a slug.
func Type(slug string) string { return typePrefix + slug }

// Slug is the slug of a type URI made by Type.
func Slug(typeURI string) string { return strings.TrimPrefix(typeURI, typePrefix) }

// New is a problem with the standard title for status.
func New(status int, slug, detail string) Details {
	return Details{Type: Type(slug), Title: http.StatusText(status), Status: status, Detail: detail}
}

// Write sends p (with Retry-After when set).
func Write(w http.ResponseWriter, p Details) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
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
