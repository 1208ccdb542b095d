package faillimit

import (
	"sync"
	"time"
)

// Limiter counts failed authentications in fixed one-minute windows, by the failed
// key (its id, or a digest of a key with none: auth.FailureKey) and the source address
// together. It only ever sees failures, so it never refuses a valid key: a key that
// authenticates passes whatever else was sent from its address.
//
// Past the limit, the same bad key from the same address is refused (429) without being
// looked up again in the logs. Separately, once an address has failed limit times in the
// window, its further failures are answered as usual but without an access-log line each,
// so a client that rotates through bad keys cannot flood the logs (metrics still count).
//
// The address is the TCP peer: a forwarded-for header is the client's to forge. Behind a
// load balancer or NAT every client shares one address, which is why the refusal is per
// key: one client's broken key does not lock out its neighbours, nor their valid keys.
type Limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	start  time.Time
	byKey  map[failKey]int
	byAddr map[string]int
}

type failKey struct{ addr, key string }

// maxTracked bounds memory: beyond it the window restarts early (forgiving, never unbounded).
const maxTracked = 100_000

// New returns a limiter that allows limit failures per window (one minute).
func New(limit int) *Limiter {
	return &Limiter{limit: limit, window: time.Minute, byKey: map[failKey]int{}, byAddr: map[string]int{}}
}

func (l *Limiter) roll(now time.Time) {
	if now.Sub(l.start) >= l.window || len(l.byKey) >= maxTracked || len(l.byAddr) >= maxTracked {
		l.start = now
		clear(l.byKey)
		clear(l.byAddr)
	}
}

// Blocked reports whether this bad key has failed too often from addr in this window.
func (l *Limiter) Blocked(addr, key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	return l.byKey[failKey{addr, key}] >= l.limit
}

// Fail records a failure. reached: the address just reached the limit (log that once);
// quiet: the address is past it, so this failure gets no access-log line.
func (l *Limiter) Fail(addr, key string, now time.Time) (reached, quiet bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	l.byKey[failKey{addr, key}]++
	l.byAddr[addr]++
	n := l.byAddr[addr]
	return n == l.limit, n > l.limit
}

// RetryIn is how long until the current window ends.
func (l *Limiter) RetryIn(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.start.Add(l.window).Sub(now)
}

// Limit is the number of failures a window allows.
func (l *Limiter) Limit() int { return l.limit }
