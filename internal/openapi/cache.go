package openapi

import (
	"container/list"
	"sync"
)

// cacheSize bounds the rendered views kept per document. A view of Retool's document
// is at most 0.53 MB compacted (all 144 operations), so the bound is also one on
// memory (about 34 MB); in practice there are as many views as distinct sets of
// visible operations, a handful.
const cacheSize = 64

// viewCache is a small LRU of rendered views, keyed by visible-operation bit set.
// A new document or routing gets a new cache, which is how refresh invalidates.
type viewCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cacheEntry, most recently used first
	byKey map[string]*list.Element
}

type cacheEntry struct {
	key string
	v   *view
}

func newViewCache(max int) *viewCache {
	return &viewCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *viewCache) get(key string) (*view, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).v, true
}

// put stores v unless another request stored the same key first; it returns the
// view kept, so concurrent renderers of one key all serve the same bytes.
func (c *viewCache) put(key string, v *view) *view {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cacheEntry).v
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry{key: key, v: v})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byKey, oldest.Value.(*cacheEntry).key)
	}
	return v
}

func (c *viewCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
