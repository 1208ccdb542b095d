package proxy

import (
	"context"
	"net/http"
	"time"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/metrics"
	"github.com/budgetgw/gateway/internal/readdeadline"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/tracing"
)

// exchange is what the pipeline learns about one request as it goes; the observe step
// turns it into metrics and the access-log line at the end. One allocation per request.
type exchange struct {
	start       time.Time
	id          string
	snap        *snapshot
	up          *upstream
	caller      *auth.Caller
	keyID       string
	route       *routes.Route
	canonical   string // decoded canonical path, relative to the mount
	forwardPath string // escaped path sent upstream, relative to the base URL
	decision    budget.Decision
	outcome     string // what the gateway decided, e.g. forwarded, or a problem slug such as unknown-route
	upStart     time.Time
	upElapsed   time.Duration
	upStatus    int
	quiet       bool // no access-log line (throttled noise); still counted in metrics
	// maxWait is how long this request could wait for points (its patience, set by route);
	// preferApplied is the Preference-Applied value when the client's Prefer: wait is used.
	maxWait       time.Duration
	preferApplied string
	// rawKey is the caller's key as it authenticated: used only to strip it from
	// anything forwarded (a shared read's request no longer carries the header). Never
	// logged, never put in a label.
	rawKey string

	trace *tracing.Request // nil unless tracing is on

	body *readdeadline.Body // the request body, read under server.read_timeout; nil without one

	// The metric children last looked up for this request, and for which key.
	calls    *metrics.Call
	callsKey seriesKey

	// sw is the observe step's writer, kept here to save an allocation per request.
	sw statusWriter

	// The request path made canonical, once: the public, spec and route steps all ask.
	pathDone  bool
	pathCanon string
	pathErr   error
}

// canonicalPath is routes.Canonical of the request's path relative to its upstream's
// mount, worked out on the first call.
func (x *exchange) canonicalPath(r *http.Request) (string, error) {
	if !x.pathDone {
		x.pathCanon, x.pathErr = routes.Canonical(x.up.relPath(r))
		x.pathDone = true
	}
	return x.pathCanon, x.pathErr
}

type exchangeKey struct{}

func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

func withExchange(r *http.Request, x *exchange) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x))
}

// callerName is the bounded label for the caller: a configured name or "none".
func (x *exchange) callerName() string {
	if x.caller == nil {
		return "none"
	}
	return x.caller.Name
}

func (x *exchange) upstreamName() string {
	if x.up == nil {
		return "none"
	}
	return x.up.name
}

func (x *exchange) family() string {
	if x.route == nil {
		return "none"
	}
	return x.route.Family
}
