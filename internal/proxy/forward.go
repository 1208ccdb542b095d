package proxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/keystrip"
	"github.com/budgetgw/gateway/internal/metrics"
	"github.com/budgetgw/gateway/internal/ratefields"
	"github.com/budgetgw/gateway/internal/scrub"
)

// Headers that carry the caller's credentials or hop-specific state: never sent upstream.
// Canonical names (TestStrippedHeadersAreCanonical).
var strippedHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded", "X-Real-Ip"}

// forward sends the paid-for call to the upstream with the org token in place of the
// caller's key, and settles the points from the moment the answer arrives.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request) {
	x := exchangeOf(r)
	if x == nil || x.route == nil || !x.decision.Allowed {
		// Unreachable through the pipeline; refuse rather than forward anything unpaid.
		writeProblem(w, r, http.StatusNotFound, "unknown-route", "The gateway does not know this operation.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), x.up.timeout)
	defer cancel()
	x.outcome = "forwarded"
	x.upStart = g.now()
	defer g.gate.Forwarding(x.up.spec, x.decision).Answered()
	g.reverse.ServeHTTP(&informationalGuard{ResponseWriter: w, id: x.id}, r.WithContext(ctx))
}

// newReverseProxy builds the one ReverseProxy all requests share; each hook finds its
// request's exchange through the request context (the outbound request's derives from
// the inbound one).
func (g *Gateway) newReverseProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { g.rewrite(exchangeOf(pr.In), pr) },
		Transport:      g.transport,
		ModifyResponse: func(resp *http.Response) error { return g.answered(exchangeOf(resp.Request), resp) },
		ErrorHandler:   func(w http.ResponseWriter, r *http.Request, err error) { g.upstreamFailed(exchangeOf(r), w, r, err) },
		ErrorLog:       g.stdLog,
		BufferPool:     g.buffers,
		// FlushInterval 0: an answer of known length goes out as the server's buffer
		// fills, not one flush per write; ReverseProxy flushes at once by itself when
		// the answer streams (text/event-stream, or no Content-Length).
	}
}

// retarget points the outgoing request at x's upstream, on the path that was routed, and
// drops the headers no caller may send upstream (the key header included). Public and
// authenticated calls share it.
func retarget(x *exchange, pr *httputil.ProxyRequest) {
	u := x.up
	out := pr.Out
	out.URL.Scheme, out.URL.Host = u.base.Scheme, u.base.Host
	// The escaped form goes on the wire as is, so the upstream sees exactly the
	// path that was routed and scope-checked.
	escaped := u.base.EscapedPath() + x.forwardPath
	out.URL.RawPath = escaped
	out.URL.Path, _ = url.PathUnescape(escaped) // cannot fail: ForwardPath escapes
	out.URL.RawQuery = pr.In.URL.RawQuery
	out.Host = u.base.Host
	for _, h := range strippedHeaders { // canonical names: deleted without canonicalising
		delete(out.Header, h)
	}
	delete(out.Header, u.header)
}

func (g *Gateway) rewrite(x *exchange, pr *httputil.ProxyRequest) {
	u := x.up
	out := pr.Out
	retarget(x, pr)
	keystrip.Strip(out, x.rawKey, x.snap.keyHeaders)
	// Trailers are headers that arrive after the body, past every check above: a chunked
	// request declaring Trailer: Authorization would otherwise deliver its key.
	out.Trailer = nil
	// The gateway answers Expect itself (net/http sends 100 Continue when the body is
	// first read, after authentication); the upstream's 100 would make a second one.
	delete(out.Header, "Expect")
	// The answer must be readable to be scrubbed of the org token (see package scrub).
	out.Header["Accept-Encoding"] = []string{"identity"}
	if u.bearer {
		out.Header.Set("Authorization", u.authValue.Reveal())
	} else {
		out.Header.Set(u.header, u.authValue.Reveal())
	}
	out.Header[requestIDHeader] = []string{x.id}
}

// answered runs when the upstream's response headers arrive: that is when the call was
// answered, so its points are counted until one window from now.
func (g *Gateway) answered(x *exchange, resp *http.Response) error {
	x.upElapsed, x.upStatus = g.now().Sub(x.upStart), resp.StatusCode
	if err := g.gate.Settle(x.up.spec, x.decision.Ticket); err != nil {
		g.metrics.StoreErrors.WithLabelValues("settle").Inc()
		g.log.Warn("settle failed; the call stays counted until its hold expires", zap.String("request_id", x.id), zap.Error(err))
	}
	g.series(x).UpstreamDuration(metrics.Class(resp.StatusCode)).Observe(x.upElapsed.Seconds())
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		g.orgTokenSuspect(x, resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		g.upstreamLimited(x, resp)
	} else {
		g.learnFrom(x, resp.Header) // before our own RateLimit field replaces theirs
	}
	x.up.setRateLimitHeaders(resp.Header, x.decision)
	// The caller's answer already carries the request id (requestID set it); the
	// upstream's own, or a copy, would make it appear twice.
	resp.Header.Del(requestIDHeader)
	return x.up.scrubber.Answer(resp, func(part string) { g.tokenScrubbed(x, part) })
}

// tokenScrubbed records that an upstream answer carried the org token (masked before the
// caller saw it). The token itself is never logged.
func (g *Gateway) tokenScrubbed(x *exchange, part string) {
	g.metrics.OrgTokenScrubbed.WithLabelValues(x.up.name, part).Inc()
	g.log.Warn("upstream answer carried the org token; masked before the caller saw it",
		zap.String("upstream", x.up.name), zap.String("route", x.route.ID), zap.String("part", part), zap.String("request_id", x.id))
}

// upstreamLimited handles an upstream 429: the organisation is locked out, for every
// replica, for the upstream's Retry-After or the configured lockout.
func (g *Gateway) upstreamLimited(x *exchange, resp *http.Response) {
	g.metrics.UpstreamLimited.WithLabelValues(x.up.name).Inc()
	d := x.up.lockout
	if ra, ok := ratefields.RetryAfter(resp.Header.Get("Retry-After"), g.now()); ok {
		d = ra
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := g.gate.Lock(ctx, x.up.spec, d); err != nil {
		g.metrics.StoreErrors.WithLabelValues("lock").Inc()
	}
	g.log.Warn("upstream rate-limited the organisation; locking out", zap.String("upstream", x.up.name), zap.Duration("lockout", d), zap.String("request_id", x.id))
}

// orgTokenSuspect reports an upstream 401/403. The call got here only because the route
// table and token_scopes say the org token may make it, so the refusal is the token's
// (revoked, mistyped, or lacking a scope token_scopes claims), not the caller's: without
// this, callers see the upstream's 401 and blame their own key.
func (g *Gateway) orgTokenSuspect(x *exchange, status int) {
	g.metrics.UpstreamAuth.WithLabelValues(x.up.name).Inc()
	g.log.Warn("upstream refused the org token for a call the route table and token_scopes allow: the org token is suspect (run gateway check; runbook: GatewayOrgTokenSuspect)",
		zap.String("upstream", x.up.name), zap.Int("status", status), zap.String("route", x.route.ID), zap.String("scope", x.route.Scope.String()), zap.String("request_id", x.id))
}

// upstreamFailed maps transport failures to clear answers. The points stay counted until
// the hold expires: the call may have reached the upstream even though no answer came.
func (g *Gateway) upstreamFailed(x *exchange, w http.ResponseWriter, r *http.Request, err error) {
	x.upElapsed = g.now().Sub(x.upStart)
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case x.body.TimedOut():
		g.bodyTimeout(w, r)
	case errors.Is(err, scrub.ErrEncoding):
		g.log.Warn("upstream answered in an encoding the gateway cannot scrub; refused", zap.String("upstream", x.up.name), zap.String("request_id", x.id))
		writeProblem(w, r, http.StatusBadGateway, "upstream-encoding", "The upstream answered in a content encoding the gateway does not pass on unread. Retry; if it persists, tell the operators the request id.")
	case errors.As(err, &mbe):
		writeProblem(w, r, http.StatusRequestEntityTooLarge, "body-too-large", "The request body is larger than the gateway's limit. Send a smaller body.")
	case errors.Is(r.Context().Err(), context.Canceled):
		x.outcome = "client_gone" // nobody is listening: log only, no answer
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		g.metrics.UpstreamDuration.WithLabelValues(x.up.name, x.route.Family, "timeout").Observe(x.upElapsed.Seconds())
		writeProblem(w, r, http.StatusGatewayTimeout, "upstream-timeout", "The upstream did not answer within "+x.up.timeout.String()+". The call may still have been carried out upstream: check before retrying a write.")
	default:
		g.metrics.UpstreamDuration.WithLabelValues(x.up.name, x.route.Family, "error").Observe(x.upElapsed.Seconds())
		g.log.Warn("upstream unreachable", zap.String("upstream", x.up.name), zap.String("request_id", x.id), zap.String("error", errorClass(err)))
		writeProblem(w, r, http.StatusBadGateway, "upstream-unreachable", "The gateway could not get an answer from the upstream. Retry shortly; if it persists, tell the operators the request id.")
	}
}

// errorClass names a transport error without its addresses (which are internal).
func errorClass(err error) string {
	var ne *net.OpError
	if errors.As(err, &ne) {
		return ne.Op + ": " + ne.Err.Error()
	}
	return "transport error"
}
