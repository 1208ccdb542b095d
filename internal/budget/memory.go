package budget

import (
	"context"
	"maps"
	"sort"
	"sync"
	"time"
)

// asideDepth is how many waiters ahead of an ask have their points set aside. It bounds
// the work per decision; the waiters behind them are still protected because each one
// moves up as those ahead are served or give up.
const asideDepth = 16

// Memory is a Store for one process. The zero value is not usable; use NewMemory.
type Memory struct {
	now     func() time.Time
	mu      sync.Mutex
	ledgers map[string]*ledger
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store reading time from now (time.Now when nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, ledgers: make(map[string]*ledger)}
}

// entry is one admission. Until settled it expires at admission+Hold+Window.
type entry struct {
	id      string
	caller  string
	cost    int64
	expires int64 // µs
	settled bool
	gone    bool // released by expiry
}

type waiter struct {
	id       string
	cost     int64
	caller   string
	cap      int64 // the caller's max_points when it asked; 0: none
	key      int64 // rank<<42 | arrival ms: the order of the line
	deadline int64 // µs
}

// ledger is one budget's state: two queues ordered by expiry (admissions are made and
// settled in time order, so appending keeps each sorted) and a running total.
type ledger struct {
	used      int64
	perCaller map[string]int64
	inflight  []*entry          // by admission, hence by crash expiry
	byID      map[string]*entry // unsettled entries
	settled   []*entry          // by settle time, hence by expiry
	waiters   []*waiter         // sorted by key
	lockUntil int64
	epoch     string
}

func (m *Memory) ledger(name string) *ledger {
	l := m.ledgers[name]
	if l == nil {
		l = &ledger{perCaller: map[string]int64{}, byID: map[string]*entry{}, epoch: "memory"}
		m.ledgers[name] = l
	}
	return l
}

func (l *ledger) release(e *entry) {
	if e.gone {
		return
	}
	e.gone = true
	l.used -= e.cost
	if l.perCaller[e.caller] -= e.cost; l.perCaller[e.caller] <= 0 {
		delete(l.perCaller, e.caller)
	}
}

// evict releases every entry whose expiry is not after now.
func (l *ledger) evict(now int64) {
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
		if w.deadline > now {
			l.waiters[j] = w
			j++
		}
	}
	clear(l.waiters[j:])
	l.waiters = l.waiters[:j]
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, spec *Spec, ask Ask) (Decision, error) {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.ledger(spec.Name)
	l.evict(now)
	d := Decision{Cost: ask.Cost, Used: l.used, Capacity: spec.Capacity}
	if l.lockUntil > now {
		d.Reason, d.RetryAfter = ReasonLockout, usDur(l.lockUntil-now)
		return d, nil
	}
	limit := spec.Capacity
	if ask.Priority != PriorityCritical {
		limit -= spec.Reserve
	}
	if ask.Cost > limit || (ask.CallerCap > 0 && ask.Cost > ask.CallerCap) {
		d.Reason, d.RetryAfter = ReasonTooExpensive, -1
		return d, nil
	}
	var me *waiter
	if ask.Waiter != nil && ask.Waiter.Handle != "" {
		me = l.findWaiter(ask.Waiter.Handle)
	}
	myKey := ask.Priority.rank()<<42 | now/1000
	if me != nil {
		myKey = me.key
	}
	aside := l.aside(myKey, me)
	callerUsed := l.perCaller[ask.Caller]
	capOK := ask.CallerCap == 0 || callerUsed+ask.Cost <= ask.CallerCap
	if capOK && l.used+aside+ask.Cost <= limit {
		e := &entry{id: newID(), caller: ask.Caller, cost: ask.Cost, expires: now + spec.Hold.Microseconds() + spec.Window.Microseconds()}
		l.inflight = append(l.inflight, e)
		l.byID[e.id] = e
		l.used += e.cost
		l.perCaller[e.caller] += e.cost
		if me != nil {
			l.removeWaiter(me)
		}
		d.Allowed, d.Used = true, l.used
		d.Ticket = Ticket{ID: e.id, Caller: e.caller, Cost: e.cost}
		return d, nil
	}
	if !capOK {
		d.Reason = ReasonCallerCap
		d.RetryAfter = l.freeIn(now, callerUsed+ask.Cost-ask.CallerCap, spec.Window.Microseconds(), ask.Caller)
	} else {
		d.Reason = ReasonExhausted
		d.RetryAfter = l.freeIn(now, l.used+aside+ask.Cost-limit, spec.Window.Microseconds(), "")
	}
	if ask.Waiter != nil {
		if me == nil {
			me = &waiter{id: ask.Waiter.ID, cost: ask.Cost, caller: ask.Caller, cap: ask.CallerCap, key: myKey, deadline: now + ask.Waiter.Patience.Microseconds()}
			l.addWaiter(me)
		}
		d.Waiter = me.id
	}
	return d, nil
}

// aside sums the costs of the first asideDepth waiters ahead of key (me excluded). A capped
// caller's waiters together set aside no more than its cap still allows: they cannot all
// be admitted, and the rest would hold back points nobody may spend.
func (l *ledger) aside(key int64, me *waiter) int64 {
	var sum int64
	var capped map[string][2]int64 // caller -> {cap, costs of its waiters ahead}
	for i, w := range l.waiters {
		if i == asideDepth || w.key > key || w == me {
			break
		}
		if w.cap == 0 {
			sum += w.cost
			continue
		}
		if capped == nil {
			capped = map[string][2]int64{}
		}
		c := capped[w.caller]
		capped[w.caller] = [2]int64{w.cap, c[1] + w.cost}
	}
	for caller, c := range capped {
		if room := c[0] - l.perCaller[caller]; room > 0 {
			sum += min(c[1], room)
		}
	}
	return sum
}

// freeIn walks releases from the earliest and says when need points will have been
// released (only the caller's own entries when caller is set). Negative: not within the
// log. It is a lower bound for waking a waiter, not a promise: an unanswered call is
// released no sooner than window from now (if it were answered this instant), so that is
// when it is assumed to go.
func (l *ledger) freeIn(now, need, window int64, caller string) time.Duration {
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
			return usDur(soonest(e) - now)
		}
	}
	return -1
}

func (l *ledger) findWaiter(id string) *waiter {
	for _, w := range l.waiters {
		if w.id == id {
			return w
		}
	}
	return nil
}

func (l *ledger) addWaiter(w *waiter) {
	i := sort.Search(len(l.waiters), func(i int) bool { return l.waiters[i].key > w.key })
	l.waiters = append(l.waiters, nil)
	copy(l.waiters[i+1:], l.waiters[i:])
	l.waiters[i] = w
}

func (l *ledger) removeWaiter(w *waiter) {
	for i, x := range l.waiters {
		if x == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			return
		}
	}
}

// Settle implements Store.
func (m *Memory) Settle(_ context.Context, spec *Spec, t Ticket) error {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.ledger(spec.Name)
	e := l.byID[t.ID]
	if e == nil || e.gone {
		return nil
	}
	delete(l.byID, t.ID)
	if exp := now + spec.Window.Microseconds(); exp < e.expires {
		e.expires = exp
	}
	e.settled = true
	// Keep settled sorted by expiry; with a monotonic clock this loop never runs.
	i := len(l.settled)
	for i > 0 && l.settled[i-1].expires > e.expires {
		i--
	}
	l.settled = append(l.settled, nil)
	copy(l.settled[i+1:], l.settled[i:])
	l.settled[i] = e
	return nil
}

// Leave implements Store.
func (m *Memory) Leave(_ context.Context, spec *Spec, handle string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.ledger(spec.Name)
	if w := l.findWaiter(handle); w != nil {
		l.removeWaiter(w)
	}
	return nil
}

// Lock implements Store.
func (m *Memory) Lock(_ context.Context, spec *Spec, d time.Duration) error {
	until := m.now().UnixMicro() + d.Microseconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.ledger(spec.Name)
	l.lockUntil = max(l.lockUntil, until)
	return nil
}

// Absorb implements Store.
func (m *Memory) Absorb(_ context.Context, spec *Spec, points int64, d time.Duration) error {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.ledger(spec.Name)
	e := &entry{id: newID(), caller: OutsideCaller, cost: points, expires: now + d.Microseconds(), settled: true}
	l.used += points
	l.perCaller[OutsideCaller] += points
	i := len(l.settled)
	for i > 0 && l.settled[i-1].expires > e.expires {
		i--
	}
	l.settled = append(l.settled, nil)
	copy(l.settled[i+1:], l.settled[i:])
	l.settled[i] = e
	return nil
}

// Usage implements Store.
func (m *Memory) Usage(_ context.Context, spec *Spec) (Usage, error) {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.ledger(spec.Name)
	l.evict(now)
	u := Usage{Used: l.used, Capacity: spec.Capacity, Waiters: len(l.waiters), Epoch: l.epoch, ByCaller: maps.Clone(l.perCaller)}
	if l.lockUntil > now {
		u.LockedFor = usDur(l.lockUntil - now)
	}
	return u, nil
}

func usDur(us int64) time.Duration { return time.Duration(us) * time.Microsecond }
