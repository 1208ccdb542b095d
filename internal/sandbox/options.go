package sandbox

import (
	"net/http"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/retoolv2"
)

// Options describe the upstream to simulate. The zero value accepts no key (every call is
// answered 401), which keeps a forgotten Token loud instead of silently open.
type Options struct {
	// Header is where the key arrives and Scheme its prefix. Retool: "Authorization" and
	// "Bearer". Retable: "ApiKey" and "" (the raw key).
	Header string // default "Authorization"
	Scheme string // default "Bearer" when Header is Authorization

	// Token is the accepted key; any other value is answered 401. SetToken replaces it.
	Token string
	// DisabledTokens are answered 423 Locked, as Retable does for a disabled key.
	DisabledTokens []string

	// Capacity is the number of points charged calls may spend in any span of Window.
	// Zero disables enforcement; every routed call is then charged and recorded anyway,
	// so tests can still measure what a gateway spent.
	Capacity int64
	Window   time.Duration // default one minute when Capacity is set
	// Lockout is how long every call is answered 429 after one went over the budget.
	// Zero means no lockout: only calls that do not fit are refused.
	Lockout time.Duration

	// Cost reports what one call costs and whether the route exists (unknown routes are
	// answered 404). Nil charges 1 point for every path.
	Cost func(method, path string) (cost int64, ok bool)
	// Allow reports whether the key may call method+path (403 when not). Nil allows all.
	Allow func(method, path string) bool
	// Forbidden words the 403 message for a call Allow refused, such as the
	// scope it needs (UseScopes sets both). Nil: a generic message.
	Forbidden func(method, path string) string
	// Collection reports whether path names a collection, which GET lists, rather than one
	// item. Nil guesses from the last segment: words of letters and underscores are
	// collections, anything holding digits or other characters is an id.
	Collection func(path string) bool

	// API chooses what admitted calls are answered with. The zero value,
	// Generic, makes up one shape for every path, without state: what the
	// gateway's own tests need. RetoolV2 serves every operation of Retool's
	// API v2 as its OpenAPI document describes it, over a seeded organisation
	// that calls change; unset, Cost then knows exactly those operations.
	API API

	// Latency is the range [min, max] of a random delay before answering, drawn from Seed.
	Latency [2]time.Duration
	// FailRate is the fraction of charged calls answered 500, drawn from Seed.
	FailRate float64
	// Seed makes latency, failures and fake data repeatable.
	Seed int64

	// KeepArrivals bounds the log to the most recent calls, so a long-running
	// sandbox does not grow without end. Zero keeps every arrival (tests
	// measure whole runs).
	KeepArrivals int

	// Now is the clock every budget decision and every Arrival.At reads. Default time.Now.
	// It is assumed never to go backwards between Resets.
	Now func() time.Time
}

const defaultWindow = time.Minute

// API names what the sandbox answers admitted calls with.
type API int

const (
	// Generic answers any path with one made-up shape and keeps no state.
	Generic API = iota
	// RetoolV2 answers as Retool's API v2 does (package retoolv2).
	RetoolV2
)

// withDefaults fills the unset fields; it is the only place defaults live.
func (o Options) withDefaults() Options {
	if o.Header == "" {
		o.Header = "Authorization"
	}
	o.Header = http.CanonicalHeaderKey(o.Header)
	if o.Header == "Authorization" && o.Scheme == "" {
		o.Scheme = "Bearer"
	}
	if o.Capacity > 0 && o.Window <= 0 {
		o.Window = defaultWindow
	}
	if o.Cost == nil && o.API == RetoolV2 {
		o.Cost = func(method, path string) (int64, bool) {
			known, err := retoolv2.Knows(method, path)
			if err != nil {
				return 1, true // every call is then answered 500 with the reason
			}
			return 1, known
		}
	}
	if o.Cost == nil {
		o.Cost = func(string, string) (int64, bool) { return 1, true }
	}
	if o.Allow == nil {
		o.Allow = func(string, string) bool { return true }
	}
	if o.Collection == nil {
		o.Collection = looksLikeCollection
	}
	if o.Latency[1] < o.Latency[0] {
		o.Latency[1] = o.Latency[0]
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
