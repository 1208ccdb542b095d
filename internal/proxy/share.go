package proxy

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/budgetgw/gateway/internal/cache"
	"github.com/budgetgw/gateway/internal/share"
)

// maxShared bounds the copy of an answer kept for followers of a coalesced read.
const maxShared = 4 << 20

// share lets reads spend fewer points: a fresh cached answer is served without spending
// anything, and identical reads arriving while one is in flight follow it. Each caller
// has already been authenticated and scope-checked. A forwarded write forgets the cached
// reads it may change, and detaches the reads in flight to them, on every replica.
// docs/sharing.md says what is shared with whom, and what is guaranteed.
func (g *Gateway) share(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			if !x.upStart.IsZero() { // sent: answered or not, the write may have happened
				g.invalidate(x.up.name, x.forwardPath, true)
			}
			return
		}
		ttl := x.up.cacheTTL
		if x.route.CacheSet {
			ttl = x.route.CacheTTL
		}
		if ttl <= 0 && !x.route.Coalesce {
			next.ServeHTTP(w, r)
			return
		}
		r = share.Request(r)
		key := share.Key(x.up.name, x.forwardPath, r)
		var stale *cache.Entry
		if ttl > 0 {
			if e, ok := g.cacheFor(x.up).Get(key); ok {
				if e.Fresh(g.now()) {
					g.metrics.Cache.WithLabelValues(x.up.name, "hit").Inc()
					g.saved(x, "cached")
					replay(w, r.Method, e.Status, e.Header, e.Body, map[string]string{"X-Gateway-Cache": "hit", "Age": age(e, g.now())})
					return
				}
				if e.Revalidatable() && r.Header.Get("If-None-Match") == "" && r.Header.Get("If-Modified-Since") == "" {
					stale = e
				}
			}
			g.metrics.Cache.WithLabelValues(x.up.name, "miss").Inc()
		}
		if !x.route.Coalesce {
			g.lead(w, r, next, x, key, nil, ttl, stale)
			return
		}
		fl, leader := g.flights.Join(key, x.up.name, x.forwardPath)
		if leader {
			g.lead(w, r, next, x, key, fl, ttl, stale)
			return
		}
		g.follow(w, r, next, x, fl)
	})
}

// follow waits for the flight's answer, but never longer than this caller would wait on
// its own: max_wait for points plus the upstream timeout, and not past its departure. If
// the leader has nothing to share, the follower makes its own call within what is left.
func (g *Gateway) follow(w http.ResponseWriter, r *http.Request, next http.Handler, x *exchange, fl *share.Flight) {
	ctx, cancel := context.WithTimeout(r.Context(), x.maxWait+x.up.timeout)
	defer cancel()
	waiting := g.metrics.CoalescedWaiting.WithLabelValues(x.up.name)
	waiting.Inc()
	a, err := fl.Wait(ctx)
	waiting.Dec()
	switch {
	case r.Context().Err() != nil:
		x.outcome = "client_gone_waiting"
	case err != nil:
		g.sharedReadTimeout(w, r, x)
	case a == nil:
		aw := &answeredWriter{ResponseWriter: w}
		next.ServeHTTP(aw, r.WithContext(ctx))
		if !aw.answered && r.Context().Err() == nil {
			g.sharedReadTimeout(w, r, x) // the deadline ended its own wait for points
		}
	default:
		g.metrics.Coalesced.WithLabelValues(x.up.name).Inc()
		g.saved(x, "coalesced")
		replay(w, r.Method, a.Status, a.Header, a.Body, map[string]string{"X-Gateway-Coalesced": "1"})
	}
}

func (g *Gateway) sharedReadTimeout(w http.ResponseWriter, r *http.Request, x *exchange) {
	x.outcome = "shared_read_timeout"
	writeProblem(w, r, http.StatusGatewayTimeout, "upstream-timeout", "The identical read this request followed was not answered within this request's wait for points plus the upstream timeout ("+(x.maxWait+x.up.timeout).String()+"). Retry shortly.")
}

// lead makes the upstream call (through the budget) for key, keeping the answer for the
// flight's followers and the cache. Followers get the answer as soon as the upstream has
// sent it, before the leader's own client (however slow) is written to. With a stale
// entry it asks conditionally and turns a 304 into the cached answer.
func (g *Gateway) lead(w http.ResponseWriter, r *http.Request, next http.Handler, x *exchange, key string, fl *share.Flight, ttl time.Duration, stale *cache.Entry) {
	store := g.cacheFor(x.up)
	began := store.Begin() // a write invalidated from now on keeps this answer out of the cache
	limit := store.MaxEntry()
	if fl != nil {
		limit = maxShared
		defer g.flights.Finish(key, fl, nil) // whatever happens below, a panic included
	}
	if stale != nil {
		r = r.Clone(r.Context())
		if stale.ETag != "" {
			r.Header.Set("If-None-Match", stale.ETag)
		}
		if stale.Modified != "" {
			r.Header.Set("If-Modified-Since", stale.Modified)
		}
	}
	rec := share.NewRecorder(w, limit, fl != nil || stale != nil)
	if fl != nil {
		rec.OnOverflow = func() { g.flights.Finish(key, fl, nil) } // too big to share: followers go alone now
	}
	defer func() {
		if p := recover(); p != nil {
			// An answer cut off mid-body (http.ErrAbortHandler): release the followers, then
			// send the leader what arrived, as streaming would have, and let the abort go on.
			if fl != nil {
				g.flights.Finish(key, fl, nil)
			}
			if rec.Status() != 0 { // else nothing was answered: the recover step answers 500
				rec.Release()
				rec.Flush() // the abort closes the connection: what is buffered would be lost
			}
			panic(p)
		}
	}()
	next.ServeHTTP(rec, r)
	if x.upStatus == 0 || rec.Overflowed() {
		if fl != nil {
			g.flights.Finish(key, fl, nil) // nothing to share; release the followers first
		}
		rec.Release()
		return
	}
	revalidated := stale != nil && rec.Status() == http.StatusNotModified
	var a *share.Answer
	answerOf := func() *share.Answer { // built only for followers or the cache
		switch {
		case a != nil:
		case revalidated: // the upstream confirmed the cached answer (the call's points are spent)
			a = &share.Answer{Status: stale.Status, Header: stale.Header, Body: stale.Body}
		default:
			a = &share.Answer{Status: rec.Status(), Header: sharedHeader(rec.Sent()), Body: bytes.Clone(rec.Body())}
		}
		return a
	}
	if fl != nil {
		g.flights.Finish(key, fl, answerOf)
	}
	now := g.now()
	if revalidated {
		e := *stale
		e.Stored, e.Expires = now, now.Add(ttl)
		store.Put(&e, began)
		g.metrics.Cache.WithLabelValues(x.up.name, "revalidated").Inc()
		replay(w, r.Method, e.Status, e.Header, e.Body, map[string]string{"X-Gateway-Cache": "revalidated"})
		return
	}
	rec.Release()
	if ttl > 0 && r.Method == http.MethodGet && cache.Storable(rec.Status(), rec.Sent()) {
		a := answerOf()
		stored := store.Put(&cache.Entry{Key: key, Path: x.forwardPath, Status: a.Status, Header: a.Header, Body: a.Body,
			Stored: now, Expires: now.Add(ttl), ETag: a.Header.Get("ETag"), Modified: a.Header.Get("Last-Modified")}, began)
		if stored {
			g.metrics.Cache.WithLabelValues(x.up.name, "stored").Inc()
		}
	}
}

func (g *Gateway) saved(x *exchange, reason string) {
	x.outcome = reason
	g.metrics.PointsSaved.WithLabelValues(x.up.name, reason).Add(float64(x.route.Cost))
}

// answeredWriter notes whether anything was answered through it.
type answeredWriter struct {
	http.ResponseWriter
	answered bool
}

func (a *answeredWriter) WriteHeader(code int) {
	a.answered = true
	a.ResponseWriter.WriteHeader(code)
}

func (a *answeredWriter) Write(b []byte) (int, error) {
	a.answered = true
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (a *answeredWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }

func age(e *cache.Entry, now time.Time) string {
	return strconv.Itoa(int(now.Sub(e.Stored) / time.Second))
}

// cacheFor returns the upstream's cache; caches outlive reloads (keyed by name).
func (g *Gateway) cacheFor(u *upstream) *cache.Cache {
	if c, ok := g.caches.Load(u.name); ok {
		return c.(*cache.Cache)
	}
	c, _ := g.caches.LoadOrStore(u.name, cache.New(u.cacheLimits, func() { g.metrics.CacheEvictions.WithLabelValues(u.name).Inc() }))
	return c.(*cache.Cache)
}

// invalidate forgets cached reads under and above path (the forwarded path, as the cache
// keys them) and detaches reads in flight to them; publish tells other replicas.
func (g *Gateway) invalidate(upstream, path string, publish bool) {
	if c, ok := g.caches.Load(upstream); ok {
		c.(*cache.Cache).Invalidate(path)
	}
	g.flights.Forget(upstream, path)
	if publish {
		g.publishInvalidation(upstream, path)
	}
}

// InvalidateLocal applies an invalidation another replica published.
func (g *Gateway) InvalidateLocal(upstream, path string) { g.invalidate(upstream, path, false) }

// perCallHeaders are set by the gateway for one caller's call: a shared answer never
// carries the leader's (each follower gets its own request id; it spent no points).
var perCallHeaders = []string{requestIDHeader, "RateLimit", "RateLimit-Policy"}

// sharedHeader is the copy of an answer's header that others may be given.
func sharedHeader(h http.Header) http.Header {
	h = h.Clone()
	for _, name := range perCallHeaders {
		h.Del(name)
	}
	return h
}

// replay writes a recorded answer to w; extra headers (and the caller's own request id)
// are set over the recorded ones.
func replay(w http.ResponseWriter, method string, status int, header http.Header, body []byte, extra map[string]string) {
	h := w.Header()
	for k, v := range header {
		if k == requestIDHeader || k == "Preference-Applied" { // the leader's, not this request's
			continue
		}
		h[k] = append([]string(nil), v...)
	}
	for k, v := range extra {
		h.Set(k, v)
	}
	w.WriteHeader(status)
	if method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
