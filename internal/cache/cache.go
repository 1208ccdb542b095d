package cache

import (
	"container/list"
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
	lru     *list.List // front: most recent; values *Entry
	byKey   map[string]*list.Element
	bytes   int64
	evicted func()
}

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
	return &Cache{lim: lim, lru: list.New(), byKey: map[string]*list.Element{}, evicted: onEvict}
}

// MaxEntry is the largest body the cache keeps.
func (c *Cache) MaxEntry() int64 { return c.lim.MaxEntry }

// Get returns the entry for key, fresh or stale (the caller decides), and marks it used.
func (c *Cache) Get(key string) (*Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*Entry), true
}

// Put stores e, replacing an entry of the same key, and evicts to stay within limits.
func (c *Cache) Put(e *Entry) {
	if int64(len(e.Body)) > c.lim.MaxEntry {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[e.Key]; ok {
		c.remove(el)
	}
	c.byKey[e.Key] = c.lru.PushFront(e)
	c.bytes += e.size()
	for c.lru.Len() > c.lim.MaxEntries || c.bytes > c.lim.MaxBytes {
		c.remove(c.lru.Back())
		c.evicted()
	}
}

func (c *Cache) remove(el *list.Element) {
	e := el.Value.(*Entry)
	c.lru.Remove(el)
	delete(c.byKey, e.Key)
	c.bytes -= e.size()
}

// Invalidate drops every entry whose path is path, under it, or above it (a write to
// /users/7 changes /users/7, /users/7/attributes and the /users list).
func (c *Cache) Invalidate(path string) int {
	path = strings.TrimSuffix(path, "/")
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		p := strings.TrimSuffix(el.Value.(*Entry).Path, "/")
		if related(p, path) {
			c.remove(el)
			n++
		}
		el = next
	}
	return n
}

func related(a, b string) bool {
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
