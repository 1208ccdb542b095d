package proxy

import (
	"net"
	"sync"
	"time"
)

// failLimiter counts failed authentications per source address in fixed one-minute
// windows. Past the limit an address is refused without looking at its key and without
// an access-log line each time, so a misconfigured or hostile client cannot flood the
// logs. The address is the TCP peer: a forwarded-for header is the client's to forge.
type failLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	start  time.Time
	counts map[string]int
}

// maxTracked bounds memory: beyond it the window restarts early (forgiving, never unbounded).
const maxTracked = 100_000

func newFailLimiter(limit int) *failLimiter {
	return &failLimiter{limit: limit, window: time.Minute, counts: map[string]int{}}
}

func (l *failLimiter) roll(now time.Time) {
	if now.Sub(l.start) >= l.window || len(l.counts) >= maxTracked {
		l.start = now
		clear(l.counts)
	}
}

// blocked reports whether addr has failed too often in this window.
func (l *failLimiter) blocked(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	return l.counts[addr] >= l.limit
}

// fail records a failure and says whether addr just reached the limit (log it once).
func (l *failLimiter) fail(addr string, now time.Time) (reached bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	l.counts[addr]++
	return l.counts[addr] == l.limit
}

// retryIn is how long until the current window ends.
func (l *failLimiter) retryIn(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.start.Add(l.window).Sub(now)
}

func peerAddr(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}
