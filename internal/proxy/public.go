package proxy

import (
	"context"
	"net/http"
	"net/http/httputil"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/metrics"
	"github.com/budgetgw/gateway/internal/peer"
)

// public serves the route table's public rows (a health probe such as Retool's
// /api/checkHealth, which clients send without a token) before anything asks for a key.
// Such a call has no caller, needs no scope and spends no points, so it is forwarded with
// no credentials at all: neither the caller's nor the org token. It still gets its request
// id, access-log line and metrics, and shares answers (the row's cache TTL, coalescing).
// Nobody is accountable for it, so each source address may send only as many per minute
// to the upstream (cache misses) as it may fail authentications; past that a miss is
// refused without a log line, while cached answers are still served.
//
// A request that is not for a public row passes on untouched; one whose path does not
// canonicalise passes on too, and the route step refuses it after authentication.
func (g *Gateway) public(next http.Handler) http.Handler {
	serve := g.share(http.HandlerFunc(g.forwardPublic))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !x.up.table.HasPublic() {
			next.ServeHTTP(w, r)
			return
		}
		canonical, err := x.canonicalPath(r)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		rt, ok := x.up.table.Match(r.Method, canonical)
		if !ok || !rt.Public {
			next.ServeHTTP(w, r)
			return
		}
		fwd := rt.ForwardPath(canonical)
		if fwd == "" {
			next.ServeHTTP(w, r)
			return
		}
		x.route, x.canonical, x.forwardPath = rt, canonical, fwd
		serve.ServeHTTP(w, r)
	})
}

// forwardPublic sends a public row's request upstream with no credentials and no body.
func (g *Gateway) forwardPublic(w http.ResponseWriter, r *http.Request) {
	x := exchangeOf(r)
	if x == nil || x.route == nil || !x.route.Public {
		// Unreachable through the pipeline; never forward anything unrouted.
		writeProblem(w, r, http.StatusNotFound, "unknown-route", "The gateway does not know this operation.")
		return
	}
	// Only probes that reach the upstream count against the address's limit: a cached or
	// coalesced answer costs the upstream nothing, and busy tools (Terraform probes before
	// every command) must not be refused for asking what the cache already knows.
	now := g.now()
	addr := peer.Host(r.RemoteAddr)
	if g.publicHits.Blocked(addr, "", now) {
		x.quiet = true
		writeProblemWith(w, r, problem{Status: http.StatusTooManyRequests, Type: problemType("public-throttled"),
			Detail:     "Too many unauthenticated requests (health probes) from your address reached the upstream this minute. Probe less often, then retry after the Retry-After delay.",
			RetryAfter: ceilSeconds(g.publicHits.RetryIn(now))})
		return
	}
	if reached, _ := g.publicHits.Fail(addr, "", now); reached { // one counter per address: no key here
		g.log.Warn("public requests (health probes) from one address reached the limit; further ones that miss the cache are refused unlogged until the minute ends",
			zap.String("peer", addr), zap.Int("limit", g.publicHits.Limit()))
	}
	ctx, cancel := context.WithTimeout(r.Context(), x.up.timeout)
	defer cancel()
	x.outcome = "forwarded"
	x.upStart = now
	g.publicProxy.ServeHTTP(w, r.WithContext(ctx))
}

// newPublicProxy is the reverse proxy for public rows: like the metered one, but it adds
// no token, settles no points and never learns budget state from the answer.
func (g *Gateway) newPublicProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { rewritePublic(exchangeOf(pr.In), pr) },
		Transport:      g.transport,
		ModifyResponse: func(resp *http.Response) error { return g.answeredPublic(exchangeOf(resp.Request), resp) },
		ErrorHandler:   func(w http.ResponseWriter, r *http.Request, err error) { g.upstreamFailed(exchangeOf(r), w, r, err) },
		ErrorLog:       g.stdLog,
		BufferPool:     g.buffers,
	}
}

func rewritePublic(x *exchange, pr *httputil.ProxyRequest) {
	out := pr.Out
	retarget(x, pr) // the caller's key, if one was sent anyway, goes; no org token in its place
	// A probe carries nothing: an unauthenticated body has no business upstream.
	out.Body, out.ContentLength, out.GetBody = http.NoBody, 0, nil
	out.Header.Del("Content-Length")
	out.Header.Del("Transfer-Encoding")
	out.Header.Set(requestIDHeader, x.id)
}

func (g *Gateway) answeredPublic(x *exchange, resp *http.Response) error {
	x.upElapsed, x.upStatus = g.now().Sub(x.upStart), resp.StatusCode
	g.metrics.UpstreamDuration.WithLabelValues(x.up.name, x.route.Family, metrics.Class(resp.StatusCode)).Observe(x.upElapsed.Seconds())
	resp.Header.Del(requestIDHeader) // the requestID step already set ours on the answer
	return nil
}
