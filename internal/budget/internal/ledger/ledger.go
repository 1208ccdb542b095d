// Package ledger keeps one budget's books for a store that lives in one process (budget's
// Memory store): the admissions still counted and when each is released, the points per
// caller, the waiting line, and the lockout. Times are microseconds on the store's clock.
//
// It never decides: whether an ask fits, and why it does not, is the store's business;
// the ledger only says what is counted, what the line sets aside and when points will be
// free. It must never release an admission before its expiry (an unsettled one is
// counted until Hold+Window after admission, a settled one until Window after its
// answer), and it is not safe for concurrent use: the store holds its lock.
//
// A busy gateway's books hold a window's worth of admissions, tens of thousands of them.
// They are kept by value in types without pointers (callers by number, tickets by their
// place in the order of admission), so the garbage collector never scans them: with a
// pointer per admission, marking them cost every call more than the decision itself.
package ledger

import (
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"
)

// asideDepth is how many waiters ahead of an ask have their points set aside. It bounds
// the work per decision; the waiters behind them are still protected because each one
// moves up as those ahead are served or give up.
const asideDepth = 16

// admission is one admitted call, until it is released or settled.
type admission struct {
	caller  int32 // Ledger.names index
	settled bool  // answered: its release is in Ledger.settled now
	cost    int64
	expires int64 // µs: when it is released if never answered
}

// release is a settled admission (or points absorbed from outside), due at expires.
type release struct {
	caller  int32
	cost    int64
	expires int64 // µs
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
// settled in time order, so appending keeps each sorted) and running totals.
type Ledger struct {
	used      int64
	names     []string         // every caller seen, by number
	numbers   map[string]int32 // names, inverted
	perCaller []int64          // points counted now, by caller number
	inflight  []admission      // by admission, hence by crash expiry: inflight[i] is number first+i
	first     uint64           // the admission number of inflight[0]
	settled   []release        // by expiry
	waiters   []*Waiter        // sorted by key
	lockUntil int64
	epoch     string
	ids       string // every ticket id of this ledger starts with it
}

// New returns an empty ledger whose state generation is epoch.
func New(epoch string) *Ledger {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return &Ledger{numbers: map[string]int32{}, epoch: epoch, ids: hex.EncodeToString(b[:]) + "-"}
}

// Used is the points counted now (as of the last Evict).
func (l *Ledger) Used() int64 { return l.used }

// CallerUsed is the points counted now for caller.
func (l *Ledger) CallerUsed(caller string) int64 {
	if n, ok := l.numbers[caller]; ok {
		return l.perCaller[n]
	}
	return 0
}

// ByCaller is the points counted now, per caller that has any.
func (l *Ledger) ByCaller() map[string]int64 {
	m := map[string]int64{}
	for n, used := range l.perCaller {
		if used > 0 {
			m[l.names[n]] = used
		}
	}
	return m
}

// Waiters is how many asks are in the line.
func (l *Ledger) Waiters() int { return len(l.waiters) }

// Epoch is the state generation.
func (l *Ledger) Epoch() string { return l.epoch }

// LockedUntil is when the lockout ends (µs); not after now: none.
func (l *Ledger) LockedUntil() int64 { return l.lockUntil }

// Lock extends the lockout to until, never shortening it.
func (l *Ledger) Lock(until int64) { l.lockUntil = max(l.lockUntil, until) }

// number is caller's number, given one on first sight. Callers are few (the
// configuration's, and the store's own), so the table is never pruned.
func (l *Ledger) number(caller string) int32 {
	n, ok := l.numbers[caller]
	if !ok {
		n = int32(len(l.names))
		l.numbers[caller] = n
		l.names = append(l.names, caller)
		l.perCaller = append(l.perCaller, 0)
	}
	return n
}

func (l *Ledger) count(caller int32, cost int64) {
	l.used += cost
	l.perCaller[caller] += cost
}

// Evict releases every entry whose expiry is not after now, and drops waiters whose
// deadline has passed.
func (l *Ledger) Evict(now int64) {
	i := 0
	for ; i < len(l.settled) && l.settled[i].expires <= now; i++ {
		l.count(l.settled[i].caller, -l.settled[i].cost)
	}
	l.settled = l.settled[i:]
	i = 0
	for ; i < len(l.inflight); i++ {
		a := &l.inflight[i]
		if a.settled {
			continue // counted, and released, by its entry in settled
		}
		if a.expires > now {
			break
		}
		l.count(a.caller, -a.cost)
	}
	l.inflight = l.inflight[i:]
	l.first += uint64(i)
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

// Admit counts an admission of cost for caller until expires, unless settled sooner, and
// returns its ticket id.
func (l *Ledger) Admit(caller string, cost, expires int64) string {
	n := l.number(caller)
	l.inflight = append(l.inflight, admission{caller: n, cost: cost, expires: expires})
	l.count(n, cost)
	var buf [40]byte // the prefix and a number: one allocation, the string
	return string(strconv.AppendUint(append(buf[:0], l.ids...), l.first+uint64(len(l.inflight)-1), 10))
}

// Settle records that the admission with ticket id was answered: it stays counted until
// expires, never longer than it already was. An id that is not this ledger's, or whose
// admission was settled or released already, is ignored.
func (l *Ledger) Settle(id string, expires int64) {
	num, ok := strings.CutPrefix(id, l.ids)
	if !ok {
		return
	}
	seq, err := strconv.ParseUint(num, 10, 64)
	if err != nil || seq < l.first || seq-l.first >= uint64(len(l.inflight)) {
		return // released by expiry, or never admitted here
	}
	a := &l.inflight[seq-l.first]
	if a.settled {
		return
	}
	a.settled = true
	l.insertSettled(release{caller: a.caller, cost: a.cost, expires: min(a.expires, expires)})
}

// Absorb counts points spent outside the store, for caller, until expires.
func (l *Ledger) Absorb(caller string, points, expires int64) {
	n := l.number(caller)
	l.count(n, points)
	l.insertSettled(release{caller: n, cost: points, expires: expires})
}

// insertSettled keeps settled sorted by expiry; with a monotonic clock the loop never runs.
func (l *Ledger) insertSettled(r release) {
	i := len(l.settled)
	for i > 0 && l.settled[i-1].expires > r.expires {
		i--
	}
	l.settled = append(l.settled, release{})
	copy(l.settled[i+1:], l.settled[i:])
	l.settled[i] = r
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
		if room := c[0] - l.CallerUsed(caller); room > 0 {
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
	only := int32(-1)
	if caller != "" {
		n, ok := l.numbers[caller]
		if !ok {
			return -1 // nothing of theirs is counted
		}
		only = n
	}
	s, f := l.settled, l.inflight
	var freed int64
	for len(s) > 0 || len(f) > 0 {
		if len(f) > 0 && f[0].settled {
			f = f[1:]
			continue
		}
		var r release
		if len(s) > 0 && (len(f) == 0 || s[0].expires <= min(f[0].expires, now+window)) {
			r, s = s[0], s[1:]
		} else {
			r, f = release{caller: f[0].caller, cost: f[0].cost, expires: min(f[0].expires, now+window)}, f[1:]
		}
		if only >= 0 && r.caller != only {
			continue
		}
		if freed += r.cost; freed >= need {
			return time.Duration(r.expires-now) * time.Microsecond
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
