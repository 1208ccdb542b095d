package proxy

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/budgetgw/gateway/internal/cache"
)

// Headers that change what an upstream answers to a read; they are part of the share key.
// Authorization is not: the upstream always sees the org token.
var varyHeaders = []string{"Accept", "Accept-Encoding", "Accept-Language", "Range", "If-None-Match", "If-Modified-Since"}

// maxShared bounds the copy of an answer kept for followers of a coalesced read.
const maxShared = 4 << 20

// share lets reads spend fewer points: a fresh cached answer is served without spending
// anything, and identical reads arriving while one is in flight follow it. Each caller
// has already been authenticated and scope-checked. A forwarded write forgets the cached
// reads it may change, on every replica.
func (g *Gateway) share(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			if x.upStatus != 0 {
				g.invalidate(x.up.name, x.canonical, true)
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
		key := shareKey(x, r)
		store := g.cacheFor(x.up)
		var stale *cache.Entry
		if ttl > 0 {
			if e, ok := store.Get(key); ok {
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
		fl, leader := g.flights.join(key)
		if leader {
			g.lead(w, r, next, x, key, fl, ttl, stale)
			return
		}
		waiting := g.metrics.CoalescedWaiting.WithLabelValues(x.up.name)
		waiting.Inc()
		select {
		case <-fl.done:
			waiting.Dec()
		case <-r.Context().Done():
			waiting.Dec()
			x.outcome = "client_gone_waiting"
			return
		}
		if !fl.ok {
			next.ServeHTTP(w, r) // the leader got no answer to share: go on alone
			return
		}
		g.metrics.Coalesced.WithLabelValues(x.up.name).Inc()
		g.saved(x, "coalesced")
		replay(w, r.Method, fl.status, fl.header, fl.body, map[string]string{"X-Gateway-Coalesced": "1"})
	})
}

// lead makes the upstream call (through the budget) for key, keeping the answer for the
// flight's followers and the cache. With a stale entry it asks conditionally and turns a
// 304 into the cached answer.
func (g *Gateway) lead(w http.ResponseWriter, r *http.Request, next http.Handler, x *exchange, key string, fl *flight, ttl time.Duration, stale *cache.Entry) {
	limit := int64(maxShared)
	if fl == nil {
		limit = g.cacheFor(x.up).MaxEntry()
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
	rec := newRecorder(w, limit, stale != nil)
	var status int
	var header http.Header
	var body []byte
	defer func() {
		if fl == nil {
			return
		}
		if x.upStatus != 0 && status != 0 {
			fl.ok, fl.status, fl.header, fl.body = true, status, header, body
		}
		g.flights.finish(key, fl)
	}()
	next.ServeHTTP(rec, r)
	if x.upStatus == 0 || rec.overflow {
		rec.release()
		return
	}
	status, header, body = rec.status, rec.header.Clone(), append([]byte(nil), rec.body.Bytes()...)
	now := g.now()
	if stale != nil && rec.status == http.StatusNotModified {
		// The upstream confirmed the cached answer: serve it (the call's points are spent).
		e := *stale
		e.Stored, e.Expires = now, now.Add(ttl)
		g.cacheFor(x.up).Put(&e)
		g.metrics.Cache.WithLabelValues(x.up.name, "revalidated").Inc()
		status, header, body = e.Status, e.Header, e.Body
		replay(w, r.Method, e.Status, e.Header, e.Body, map[string]string{"X-Gateway-Cache": "revalidated"})
		return
	}
	rec.release()
	if ttl > 0 && r.Method == http.MethodGet && cache.Storable(status, header) {
		g.cacheFor(x.up).Put(&cache.Entry{Key: key, Path: x.canonical, Status: status, Header: header, Body: body,
			Stored: now, Expires: now.Add(ttl), ETag: header.Get("ETag"), Modified: header.Get("Last-Modified")})
		g.metrics.Cache.WithLabelValues(x.up.name, "stored").Inc()
	}
}

func (g *Gateway) saved(x *exchange, reason string) {
	x.outcome = reason
	g.metrics.PointsSaved.WithLabelValues(x.up.name, reason).Add(float64(x.route.Cost))
}

// shareKey identifies reads that get the same answer: upstream, method, canonical path,
// sorted query and the headers that change the answer.
func shareKey(x *exchange, r *http.Request) string {
	var b strings.Builder
	b.WriteString(x.up.name)
	b.WriteByte(0)
	b.WriteString(r.Method)
	b.WriteByte(0)
	b.WriteString(x.forwardPath)
	b.WriteByte('?')
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := q[k]
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(v)
			b.WriteByte('&')
		}
	}
	for _, h := range varyHeaders {
		b.WriteByte(0)
		b.WriteString(strings.Join(r.Header.Values(h), ","))
	}
	return b.String()
}

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

// invalidate forgets cached reads under and above path; publish tells other replicas.
func (g *Gateway) invalidate(upstream, path string, publish bool) {
	if c, ok := g.caches.Load(upstream); ok {
		c.(*cache.Cache).Invalidate(path)
	}
	if publish {
		g.publishInvalidation(upstream, path)
	}
}

// InvalidateLocal applies an invalidation another replica published.
func (g *Gateway) InvalidateLocal(upstream, path string) { g.invalidate(upstream, path, false) }
