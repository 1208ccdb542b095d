package cache

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Entry is one stored answer.
type Entry struct {
	Key      string
	Path     string // canonical path, for invalidation
	Status   int
	Header   http.Header
	Body     []byte
	Stored   time.Time
	Expires  time.Time
	ETag     string
	Modified string // Last-Modified
}

func (e *Entry) size() int64 {
	n := int64(len(e.Body) + len(e.Key) + len(e.Path))
	for k, vs := range e.Header {
		n += int64(len(k))
		for _, v := range vs {
			n += int64(len(v))
		}
	}
	return n
}

// Fresh reports whether e may be served without asking the upstream.
func (e *Entry) Fresh(now time.Time) bool { return now.Before(e.Expires) }

// Revalidatable reports whether a stale e can be checked with a conditional request.
func (e *Entry) Revalidatable() bool { return e.ETag != "" || e.Modified != "" }

// Limits bound a cache.
type Limits struct {
	MaxEntries int   // 0: 1000
	MaxBytes   int64 // 0: 16 MiB
	MaxEntry   int64 // largest body stored; 0: 1 MiB
}

// Cache is an LRU of entries, safe for concurrent use.
type Cache struct {
	lim     Limits
	mu      sync.Mutex
	lru     *LRU[string, *Entry]
	evicted func()
	gen     Generation               // invalidations so far
	written [keptWrites]invalidation // the last keptWrites invalidations, by gen % keptWrites
}

// Generation counts a cache's invalidations. A read takes one (Begin) before it asks the
// upstream; Put refuses its answer if a write to a related path was invalidated since,
// because the upstream may have answered the read before the write took effect.
type Generation uint64

type invalidation struct {
	path string
	gen  Generation
}

// keptWrites bounds the invalidations Put can look back on. A read that began more than
// keptWrites invalidations ago is not stored at all: it cannot be shown to be unaffected.
const keptWrites = 256

// New makes a cache; onEvict (may be nil) is called for each entry pushed out by a limit.
func New(lim Limits, onEvict func()) *Cache {
	if lim.MaxEntries <= 0 {
		lim.MaxEntries = 1000
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = 16 << 20
	}
	if lim.MaxEntry <= 0 {
		lim.MaxEntry = 1 << 20
	}
	if onEvict == nil {
		onEvict = func() {}
	}
	return &Cache{lim: lim, lru: NewLRU[string](func(e *Entry) int64 { return e.size() }), evicted: onEvict}
}

// MaxEntry is the largest body the cache keeps.
func (c *Cache) MaxEntry() int64 { return c.lim.MaxEntry }

// Get returns the entry for key, fresh or stale (the caller decides), and marks it used.
func (c *Cache) Get(key string) (*Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(key)
}

// Begin is the generation a read starts from; pass it to Put with the read's answer.
func (c *Cache) Begin() Generation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// Put stores e, an answer to a read that began at generation began, replacing an entry of
// the same key and evicting to stay within limits. It stores nothing, and says so, when
// a write related to e.Path was invalidated after the read began (the answer may predate
// the write) or when e is larger than MaxEntry.
func (c *Cache) Put(e *Entry, began Generation) bool {
	if int64(len(e.Body)) > c.lim.MaxEntry {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writtenSince(began, e.Path) {
		return false
	}
	c.lru.Add(e.Key, e)
	for c.lru.Len() > c.lim.MaxEntries || c.lru.Bytes() > c.lim.MaxBytes {
		c.lru.RemoveOldest()
		c.evicted()
	}
	return true
}

// writtenSince reports whether an invalidation after began may concern path; c.mu is held.
func (c *Cache) writtenSince(began Generation, path string) bool {
	if c.gen-began > keptWrites {
		return true // too many to check: assume the worst
	}
	for g := began + 1; g <= c.gen; g++ {
		if Related(c.written[g%keptWrites].path, path) {
			return true
		}
	}
	return false
}

// Invalidate drops every entry whose path is path, under it, or above it (a write to
// /users/7 changes /users/7, /users/7/attributes and the /users list), and keeps reads
// already in flight to those paths from being stored (see Put).
func (c *Cache) Invalidate(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.written[c.gen%keptWrites] = invalidation{path: path, gen: c.gen}
	return c.lru.RemoveFunc(func(_ string, e *Entry) bool { return Related(e.Path, path) })
}

// Related reports whether a write to one path may change a read of the other: the same
// path, or one under the other, segment by segment. Case is folded (ASCII): an upstream
// that reads /Users/7 as /users/7 must not keep a stale answer under either spelling;
// forgetting too much only costs a call.
func Related(a, b string) bool {
	a, b = strings.ToLower(strings.TrimSuffix(a, "/")), strings.ToLower(strings.TrimSuffix(b, "/"))
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// Len is the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Storable reports whether an answer may be kept and shared between callers.
func Storable(status int, h http.Header) bool {
	if status < 200 || status > 299 {
		return false
	}
	cc := strings.ToLower(strings.Join(h.Values("Cache-Control"), ","))
	if strings.Contains(cc, "no-store") || strings.Contains(cc, "private") {
		return false
	}
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "*" || strings.EqualFold(f, "Authorization") || strings.EqualFold(f, "Cookie") {
				return false
			}
		}
	}
	return h.Get("Set-Cookie") == ""
}
