package sandbox

import (
	"sort"
	"time"
)

// charge is one charged call as the budget remembers it.
type charge struct {
	at   time.Time
	cost int64
}

// verdict is the budget's answer for one call; the HTTP layer turns it into a status.
type verdict struct {
	allowed    bool
	retryAfter time.Duration // when refused: how long until a retry can succeed
}

// ledger enforces the budget: a call arriving at t is charged when the points of charged
// calls in (t-window, t] plus its own cost stay within capacity. Going over starts a
// lockout during which nothing is charged. It is not safe for concurrent use; Server
// holds its lock around every call.
type ledger struct {
	capacity    int64
	window      time.Duration
	lockout     time.Duration
	charges     []charge // in arrival order; only those still inside the window
	lockedUntil time.Time
}

func (l *ledger) admit(now time.Time, cost int64) verdict {
	if l.capacity <= 0 {
		return verdict{allowed: true}
	}
	if now.Before(l.lockedUntil) {
		return verdict{retryAfter: l.lockedUntil.Sub(now)}
	}
	l.forget(now)
	used := sumCosts(l.charges)
	if used+cost <= l.capacity {
		l.charges = append(l.charges, charge{now, cost})
		return verdict{allowed: true}
	}
	if l.lockout > 0 {
		l.lockedUntil = now.Add(l.lockout)
		return verdict{retryAfter: l.lockout}
	}
	return verdict{retryAfter: l.untilFits(now, used+cost-l.capacity)}
}

// forget drops charges that have left the window (those at or before now-window).
func (l *ledger) forget(now time.Time) {
	edge := now.Add(-l.window)
	kept := l.charges[:0]
	for _, c := range l.charges {
		if c.at.After(edge) {
			kept = append(kept, c)
		}
	}
	l.charges = kept
}

// untilFits is how long until enough charged points leave the window to free excess.
// A call costlier than the whole capacity never fits; it is told to wait a window.
func (l *ledger) untilFits(now time.Time, excess int64) time.Duration {
	if excess > sumCosts(l.charges) {
		return l.window
	}
	oldest := append([]charge(nil), l.charges...)
	sort.SliceStable(oldest, func(i, j int) bool { return oldest[i].at.Before(oldest[j].at) })
	var freed int64
	for _, c := range oldest {
		freed += c.cost
		if freed >= excess {
			return c.at.Add(l.window).Sub(now)
		}
	}
	return l.window
}

func sumCosts(cs []charge) int64 {
	var n int64
	for _, c := range cs {
		n += c.cost
	}
	return n
}
