package openapi

import (
	"sync"

	"github.com/budgetgw/gateway/internal/cache"
)

// cacheSize bounds the rendered views kept per document. A view of Retool's document
// is at most 0.53 MB compacted (all 144 operations), so the bound is also one on
// memory (about 34 MB); in practice there are as many views as distinct sets of
// visible operations, a handful.
const cacheSize = 64

// viewCache is a small LRU of rendered views, keyed by visible-operation bit set.
// A new document or routing gets a new cache, which is how refresh invalidates.
type viewCache struct {
	mu  sync.Mutex
	max int
	lru *cache.LRU[string, *view]
}

func newViewCache(max int) *viewCache {
	return &viewCache{max: max, lru: cache.NewLRU[string, *view](nil)}
}

func (c *viewCache) get(key string) (*view, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(key)
}

// put stores v unless another request stored the same key first; it returns the
// view kept, so concurrent renderers of one key all serve the same bytes.
func (c *viewCache) put(key string, v *view) *view {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kept, ok := c.lru.Get(key); ok {
		return kept
	}
	c.lru.Add(key, v)
	for c.lru.Len() > c.max {
		c.lru.RemoveOldest()
	}
	return v
}

func (c *viewCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
