package admin

import (
	"sync"
	"time"
)

// loginLimiter counts failed admin logins per source address in fixed one-minute windows.
// Past the limit an address is refused whatever token it sends: the admin token may be a
// human-chosen string, and a limiter that still let the right guess through would tell a
// guesser when it had won. The admin listener is private (loopback by default), so the
// address is the operator's own machine or a bastion, not a shared NAT of callers.
type loginLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	start  time.Time
	counts map[string]int
}

// maxTracked bounds memory: beyond it the window restarts early.
const maxTracked = 10_000

func newLoginLimiter(limit int) *loginLimiter {
	return &loginLimiter{limit: limit, window: time.Minute, counts: map[string]int{}}
}

func (l *loginLimiter) roll(now time.Time) {
	if now.Sub(l.start) >= l.window || len(l.counts) >= maxTracked {
		l.start = now
		clear(l.counts)
	}
}

// blocked reports whether addr has failed too often in this window, and for how long.
func (l *loginLimiter) blocked(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	return l.counts[addr] >= l.limit, l.start.Add(l.window).Sub(now)
}

// fail records a failure and says whether addr just reached the limit.
func (l *loginLimiter) fail(addr string, now time.Time) (reached bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	l.counts[addr]++
	return l.counts[addr] == l.limit
}
