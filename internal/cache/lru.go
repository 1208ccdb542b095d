package cache

import "container/list"

// LRU is a map that keeps track of use, so its owner can drop the least recently used
// entries first when over a bound (entries, or bytes through the size function). It is
// the module's one LRU: answers here, rendered OpenAPI views in package openapi. It is not
// safe for concurrent use; the owner holds its own lock, which usually guards more.
type LRU[K comparable, V any] struct {
	order *list.List // of *lruItem[K, V], most recently used first
	byKey map[K]*list.Element
	size  func(V) int64
	bytes int64
}

type lruItem[K comparable, V any] struct {
	key K
	v   V
}

// NewLRU makes an empty LRU; size (nil: every value counts 0) gives what Bytes adds up.
func NewLRU[K comparable, V any](size func(V) int64) *LRU[K, V] {
	if size == nil {
		size = func(V) int64 { return 0 }
	}
	return &LRU[K, V]{order: list.New(), byKey: map[K]*list.Element{}, size: size}
}

// Get returns the value for k and marks it the most recently used.
func (l *LRU[K, V]) Get(k K) (V, bool) {
	el, ok := l.byKey[k]
	if !ok {
		var zero V
		return zero, false
	}
	l.order.MoveToFront(el)
	return el.Value.(*lruItem[K, V]).v, true
}

// Add stores v under k as the most recently used, replacing any value k had.
func (l *LRU[K, V]) Add(k K, v V) {
	if el, ok := l.byKey[k]; ok {
		l.remove(el)
	}
	l.byKey[k] = l.order.PushFront(&lruItem[K, V]{key: k, v: v})
	l.bytes += l.size(v)
}

// RemoveOldest drops the least recently used entry; false when there is none.
func (l *LRU[K, V]) RemoveOldest() bool {
	el := l.order.Back()
	if el == nil {
		return false
	}
	l.remove(el)
	return true
}

// RemoveFunc drops every entry for which drop is true and returns how many it dropped.
func (l *LRU[K, V]) RemoveFunc(drop func(K, V) bool) int {
	n := 0
	for el := l.order.Front(); el != nil; {
		next := el.Next()
		if it := el.Value.(*lruItem[K, V]); drop(it.key, it.v) {
			l.remove(el)
			n++
		}
		el = next
	}
	return n
}

// Len is the number of entries.
func (l *LRU[K, V]) Len() int { return l.order.Len() }

// Bytes is the sum of the entries' sizes.
func (l *LRU[K, V]) Bytes() int64 { return l.bytes }

func (l *LRU[K, V]) remove(el *list.Element) {
	it := el.Value.(*lruItem[K, V])
	l.order.Remove(el)
	delete(l.byKey, it.key)
	l.bytes -= l.size(it.v)
}
