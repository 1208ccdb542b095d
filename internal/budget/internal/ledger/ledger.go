// Package ledger keeps one budget's books for a store that lives in one process (budget's
// Memory store): the admissions still counted and when each is released, the points per
// caller, the waiting line, and the lockout. Times are microseconds on the store's clock.
//
// It never decides: whether an ask fits, and why it does not, is the store's business;
// the ledger only says what is counted, what the line sets aside and when points will be
// free. It must never release an admission before its expiry (an unsettled one is
// counted until Hold+Window after admission, a settled one until Window after its
// answer), and it is not safe for concurrent use: the store holds its lock.
package ledger

import (
	"maps"
	"sort"
	"time"
)

// asideDepth is how many waiters ahead of an ask have their points set aside. It bounds
// the work per decision; the waiters behind them are still protected because each one
// moves up as those ahead are served or give up.
const asideDepth = 16

// entry is one admission. Until settled it expires at admission+Hold+Window.
type entry struct {
	id      string
	caller  string
	cost    int64
	expires int64 // µs
	settled bool
	gone    bool // released by expiry
}

// Waiter is an ask's place in the line.
type Waiter struct {
	ID       string
	Cost     int64
	Caller   string
	Cap      int64 // the caller's max_points when it asked; 0: none
	Key      int64 // rank<<42 | arrival ms: the order of the line
	Deadline int64 // µs
}

// Ledger is one budget's state: two queues ordered by expiry (admissions are made and
// settled in time order, so appending keeps each sorted) and a running total.
type Ledger struct {
	used      int64
	perCaller map[string]int64
	inflight  []*entry          // by admission, hence by crash expiry
	byID      map[string]*entry // unsettled entries
	settled   []*entry          // by settle time, hence by expiry
	waiters   []*Waiter         // sorted by key
	lockUntil int64
	epoch     string
}

// New returns an empty ledger whose state generation is epoch.
func New(epoch string) *Ledger {
	return &Ledger{perCaller: map[string]int64{}, byID: map[string]*entry{}, epoch: epoch}
}

// Used is the points counted now (as of the last Evict).
func (l *Ledger) Used() int64 { return l.used }

// CallerUsed is the points counted now for caller.
func (l *Ledger) CallerUsed(caller string) int64 { return l.perCaller[caller] }

// ByCaller is a copy of the points counted now, per caller.
func (l *Ledger) ByCaller() map[string]int64 { return maps.Clone(l.perCaller) }

// Waiters is how many asks are in the line.
func (l *Ledger) Waiters() int { return len(l.waiters) }

// Epoch is the state generation.
func (l *Ledger) Epoch() string { return l.epoch }

// LockedUntil is when the lockout ends (µs); not after now: none.
func (l *Ledger) LockedUntil() int64 { return l.lockUntil }

// Lock extends the lockout to until, never shortening it.
func (l *Ledger) Lock(until int64) { l.lockUntil = max(l.lockUntil, until) }

func (l *Ledger) release(e *entry) {
	if e.gone {
		return
	}
	e.gone = true
	l.used -= e.cost
	if l.perCaller[e.caller] -= e.cost; l.perCaller[e.caller] <= 0 {
		delete(l.perCaller, e.caller)
	}
}

// Evict releases every entry whose expiry is not after now, and drops waiters whose
// deadline has passed.
func (l *Ledger) Evict(now int64) {
	i := 0
	for ; i < len(l.settled) && l.settled[i].expires <= now; i++ {
		l.release(l.settled[i])
	}
	l.settled = l.settled[i:]
	i = 0
	for ; i < len(l.inflight); i++ {
		e := l.inflight[i]
		if e.settled {
			continue
		}
		if e.expires > now {
			break
		}
		l.release(e)
		delete(l.byID, e.id)
	}
	l.inflight = l.inflight[i:]
	j := 0
	for _, w := range l.waiters {
		if w.Deadline > now {
			l.waiters[j] = w
			j++
		}
	}
	clear(l.waiters[j:])
	l.waiters = l.waiters[:j]
}

// Admit counts an admission of cost for caller until expires, unless settled sooner.
func (l *Ledger) Admit(id, caller string, cost, expires int64) {
	e := &entry{id: id, caller: caller, cost: cost, expires: expires}
	l.inflight = append(l.inflight, e)
	l.byID[e.id] = e
	l.used += e.cost
	l.perCaller[e.caller] += e.cost
}

// Settle records that admission id was answered: it stays counted until expires, never
// longer than it already was. An unknown or released id is ignored.
func (l *Ledger) Settle(id string, expires int64) {
	e := l.byID[id]
	if e == nil || e.gone {
		return
	}
	delete(l.byID, id)
	if expires < e.expires {
		e.expires = expires
	}
	e.settled = true
	l.insertSettled(e)
}

// Absorb counts points spent outside the store, for caller, until expires.
func (l *Ledger) Absorb(id, caller string, points, expires int64) {
	e := &entry{id: id, caller: caller, cost: points, expires: expires, settled: true}
	l.used += points
	l.perCaller[caller] += points
	l.insertSettled(e)
}

// insertSettled keeps settled sorted by expiry; with a monotonic clock the loop never runs.
func (l *Ledger) insertSettled(e *entry) {
	i := len(l.settled)
	for i > 0 && l.settled[i-1].expires > e.expires {
		i--
	}
	l.settled = append(l.settled, nil)
	copy(l.settled[i+1:], l.settled[i:])
	l.settled[i] = e
}

// Aside sums the costs of the first asideDepth waiters ahead of key (me excluded). A capped
// caller's waiters together set aside no more than its cap still allows: they cannot all
// be admitted, and the rest would hold back points nobody may spend.
func (l *Ledger) Aside(key int64, me *Waiter) int64 {
	var sum int64
	var capped map[string][2]int64 // caller -> {cap, costs of its waiters ahead}
	for i, w := range l.waiters {
		if i == asideDepth || w.Key > key || w == me {
			break
		}
		if w.Cap == 0 {
			sum += w.Cost
			continue
		}
		if capped == nil {
			capped = map[string][2]int64{}
		}
		c := capped[w.Caller]
		capped[w.Caller] = [2]int64{w.Cap, c[1] + w.Cost}
	}
	for caller, c := range capped {
		if room := c[0] - l.perCaller[caller]; room > 0 {
			sum += min(c[1], room)
		}
	}
	return sum
}

// FreeIn walks releases from the earliest and says when need points will have been
// released (only the caller's own entries when caller is set). Negative: not within the
// log. It is a lower bound for waking a waiter, not a promise: an unanswered call is
// released no sooner than window from now (if it were answered this instant), so that is
// when it is assumed to go.
func (l *Ledger) FreeIn(now, need, window int64, caller string) time.Duration {
	if need <= 0 {
		return 0
	}
	soonest := func(e *entry) int64 {
		if e.settled {
			return e.expires
		}
		return min(e.expires, now+window)
	}
	s, f := l.settled, l.inflight
	var freed int64
	for len(s) > 0 || len(f) > 0 {
		var e *entry
		if len(f) > 0 && (f[0].settled || f[0].gone) {
			f = f[1:]
			continue
		}
		if len(s) > 0 && (len(f) == 0 || s[0].expires <= soonest(f[0])) {
			e, s = s[0], s[1:]
		} else {
			e, f = f[0], f[1:]
		}
		if caller != "" && e.caller != caller {
			continue
		}
		if freed += e.cost; freed >= need {
			return time.Duration(soonest(e)-now) * time.Microsecond
		}
	}
	return -1
}

// FindWaiter returns the waiter with id, or nil.
func (l *Ledger) FindWaiter(id string) *Waiter {
	for _, w := range l.waiters {
		if w.ID == id {
			return w
		}
	}
	return nil
}

// AddWaiter puts w in the line by its key.
func (l *Ledger) AddWaiter(w *Waiter) {
	i := sort.Search(len(l.waiters), func(i int) bool { return l.waiters[i].Key > w.Key })
	l.waiters = append(l.waiters, nil)
	copy(l.waiters[i+1:], l.waiters[i:])
	l.waiters[i] = w
}

// RemoveWaiter takes w out of the line.
func (l *Ledger) RemoveWaiter(w *Waiter) {
	for i, x := range l.waiters {
		if x == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			return
		}
	}
}
