// Package groupcommit sends items in the background, batched per key: group commit. An
// item that arrives while no flush is in flight starts one; those that arrive meanwhile
// go in the next. The caller that adds an item never waits for it to be sent.
//
// It hands every item it was given to send exactly once, in batches of at most max per
// key, and never retries, reorders within a key, or judges a failed send: what a lost
// or late item means is the caller's business. It knows nothing of budgets or Redis.
package groupcommit

import "sync"

// Queue batches items per key; meta travels with a key's items (the latest given).
type Queue[M, T any] struct {
	max  int
	send func(meta M, items []T) // one bounded call; at most max items

	mu   sync.Mutex
	idle *sync.Cond // signalled when a flush ends with nothing left to send
	busy bool
	q    map[string]*pending[M, T] // key -> its items
}

type pending[M, T any] struct {
	meta  M
	items []T
}

// New returns a queue that sends each key's items through send, at most max at a time.
func New[M, T any](max int, send func(meta M, items []T)) *Queue[M, T] {
	sq := &Queue[M, T]{max: max, send: send}
	sq.idle = sync.NewCond(&sq.mu)
	return sq
}

// Add queues item under key, with meta, and starts a flush unless one is in flight.
func (sq *Queue[M, T]) Add(key string, meta M, item T) {
	sq.mu.Lock()
	if sq.q == nil {
		sq.q = map[string]*pending[M, T]{}
	}
	p := sq.q[key]
	if p == nil {
		p = &pending[M, T]{meta: meta}
		sq.q[key] = p
	}
	p.meta = meta
	p.items = append(p.items, item)
	start := !sq.busy
	sq.busy = true
	sq.mu.Unlock()
	if start {
		go sq.flushLoop()
	}
}

// flushLoop sends what is queued until nothing is.
func (sq *Queue[M, T]) flushLoop() {
	for {
		sq.mu.Lock()
		if len(sq.q) == 0 {
			sq.busy = false
			sq.idle.Broadcast()
			sq.mu.Unlock()
			return
		}
		batch := sq.q
		sq.q = nil
		sq.mu.Unlock()
		for _, p := range batch {
			for len(p.items) > 0 {
				n := min(len(p.items), sq.max)
				sq.send(p.meta, p.items[:n])
				p.items = p.items[n:]
			}
		}
	}
}

// Wait returns once every item added before it was sent (or its send failed).
func (sq *Queue[M, T]) Wait() {
	sq.mu.Lock()
	defer sq.mu.Unlock()
	for sq.busy {
		sq.idle.Wait()
	}
}
