package budget

import (
	"context"
	"sync"
	"time"

	"github.com/budgetgw/gateway/internal/budget/internal/ledger"
)

// Memory is a Store for one process. The zero value is not usable; use NewMemory.
type Memory struct {
	now     func() time.Time
	mu      sync.Mutex
	ledgers map[string]*ledger.Ledger // each budget's books (internal/ledger)
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store reading time from now (time.Now when nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, ledgers: make(map[string]*ledger.Ledger)}
}

func (m *Memory) ledger(name string) *ledger.Ledger {
	l := m.ledgers[name]
	if l == nil {
		l = ledger.New("memory")
		m.ledgers[name] = l
	}
	return l
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, spec *Spec, ask Ask) (Decision, error) {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.ledger(spec.Name)
	l.Evict(now)
	d := Decision{Cost: ask.Cost, Used: l.Used(), Capacity: spec.Capacity}
	if until := l.LockedUntil(); until > now {
		d.Reason, d.RetryAfter = ReasonLockout, usDur(until-now)
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
	var me *ledger.Waiter
	if ask.Waiter != nil && ask.Waiter.Handle != "" {
		me = l.FindWaiter(ask.Waiter.Handle)
	}
	myKey := ask.Priority.rank()<<42 | now/1000
	if me != nil {
		myKey = me.Key
	}
	aside := l.Aside(myKey, me)
	callerUsed := l.CallerUsed(ask.Caller)
	capOK := ask.CallerCap == 0 || callerUsed+ask.Cost <= ask.CallerCap
	if capOK && l.Used()+aside+ask.Cost <= limit {
		id := l.Admit(ask.Caller, ask.Cost, now+spec.Hold.Microseconds()+spec.Window.Microseconds())
		if me != nil {
			l.RemoveWaiter(me)
		}
		d.Allowed, d.Used = true, l.Used()
		d.Ticket = Ticket{ID: id, Caller: ask.Caller, Cost: ask.Cost}
		return d, nil
	}
	if !capOK {
		d.Reason = ReasonCallerCap
		d.RetryAfter = l.FreeIn(now, callerUsed+ask.Cost-ask.CallerCap, spec.Window.Microseconds(), ask.Caller)
	} else {
		d.Reason = ReasonExhausted
		d.RetryAfter = l.FreeIn(now, l.Used()+aside+ask.Cost-limit, spec.Window.Microseconds(), "")
	}
	if ask.Waiter != nil {
		if me == nil {
			me = &ledger.Waiter{ID: ask.Waiter.ID, Cost: ask.Cost, Caller: ask.Caller, Cap: ask.CallerCap, Key: myKey, Deadline: now + ask.Waiter.Patience.Microseconds()}
			l.AddWaiter(me)
		}
		d.Waiter = me.ID
	}
	return d, nil
}

// Settle implements Store.
func (m *Memory) Settle(_ context.Context, spec *Spec, t Ticket) error {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ledger(spec.Name).Settle(t.ID, now+spec.Window.Microseconds())
	return nil
}

// Leave implements Store.
func (m *Memory) Leave(_ context.Context, spec *Spec, handle string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.ledger(spec.Name)
	if w := l.FindWaiter(handle); w != nil {
		l.RemoveWaiter(w)
	}
	return nil
}

// Lock implements Store.
func (m *Memory) Lock(_ context.Context, spec *Spec, d time.Duration) error {
	until := m.now().UnixMicro() + d.Microseconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ledger(spec.Name).Lock(until)
	return nil
}

// Absorb implements Store.
func (m *Memory) Absorb(_ context.Context, spec *Spec, points int64, d time.Duration) error {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ledger(spec.Name).Absorb(OutsideCaller, points, now+d.Microseconds())
	return nil
}

// Usage implements Store.
func (m *Memory) Usage(_ context.Context, spec *Spec) (Usage, error) {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.ledger(spec.Name)
	l.Evict(now)
	u := Usage{Used: l.Used(), Capacity: spec.Capacity, Waiters: l.Waiters(), Epoch: l.Epoch(), ByCaller: l.ByCaller()}
	if until := l.LockedUntil(); until > now {
		u.LockedFor = usDur(until - now)
	}
	return u, nil
}

func usDur(us int64) time.Duration { return time.Duration(us) * time.Microsecond }
