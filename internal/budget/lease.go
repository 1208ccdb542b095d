package budget

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/budgetgw/gateway/internal/pubsub"
)

// Leases (see doc.go): while a budget is far from binding, a busy replica asks Redis for a
// block of points in advance, with one take call of its own in the background, and admits
// the calls that follow from it alone for the lease's short life: no round trip per call,
// and none per answer. Points Redis already counts are all a lease ever spends, for no longer than Redis
// counts them, so every guarantee of the shared budget holds. When its life is over the
// lease is closed: Redis is told what was really spent and when each part is released, and
// the rest comes back.

// LeaseCaller is the caller name a lease's unspent points are counted under.
const LeaseCaller = "~lease"

// reasonLeased is what the take script answers for an ask it admitted as a lease.
const reasonLeased Reason = "lease"

const (
	// minLeaseAsks: a lease smaller than this many asks like the one that would take it
	// saves too few round trips to be worth the points it holds idle.
	minLeaseAsks = 8
	// maxLeaseShare: a lease is at most 1/maxLeaseShare of the replica's part of a budget.
	maxLeaseShare = 16
	// leaseGroups is how finely a closed lease's releases are kept (window/leaseGroups):
	// each admission stays counted at most that much longer than its own release.
	leaseGroups = 64
)

// lease is a block of points Redis counts for this replica, and what it admitted from it.
type lease struct {
	t       Ticket    // the entry in Redis: Caller LeaseCaller, Cost the points leased
	granted time.Time // local time the answer arrived
	until   time.Time // admissions only before then: the send time of the lease ask plus its life
	spent   int64
	adm     []leaseAdm // by index: the admission's ticket is t.ID + "." + index
	open    int        // admissions whose answer has not arrived
	// final is fixed when the close starts: a close retried after a lost answer writes
	// the same entries again, and settles that arrive later change nothing.
	final []Restored
}

type leaseAdm struct {
	caller  string
	cost    int64
	release time.Time // local: admission + Hold + Window, or Window after the answer
	settled bool
}

// leaseLife is how long a lease's points may be spent: short next to the window, so
// unspent points come back soon.
func (f *Failover) leaseLife(spec *Spec) time.Duration {
	if f.o.LeaseLife != 0 {
		return f.o.LeaseLife
	}
	return min(time.Second, spec.Window/16)
}

// takeLeased admits ask from the open lease, if it may (mu held). A lease serves callers
// without a cap only: a cap needs their count in Redis. The clock is read here, under the
// lock: a time read before it could be long past when the call is admitted, and the
// lease's bound on when it may admit would not hold.
func (f *Failover) takeLeased(s *foState, ask Ask) (Decision, bool) {
	l := s.lease
	if l == nil || ask.CallerCap > 0 || l.spent+ask.Cost > l.t.Cost {
		return Decision{}, false
	}
	now := f.o.Now()
	if !now.Before(l.until) {
		return Decision{}, false
	}
	i := len(l.adm)
	l.adm = append(l.adm, leaseAdm{caller: ask.Caller, cost: ask.Cost, release: now.Add(s.spec.Hold + s.spec.Window)})
	l.spent += ask.Cost
	l.open++
	s.noteDemand(now, ask.Cost, f.leaseLife(s.spec))
	if s.leaseAsk == nil && !f.down && !f.closed && (4*l.spent >= 3*l.t.Cost || !now.Before(l.until.Add(-f.leaseLife(s.spec)/4))) {
		// The lease runs out soon: ask for the next one now, in the background, so that no
		// call waits for it.
		if n, life := f.leaseSize(s, ask.Cost, now); n > 0 {
			s.leaseAsk = make(chan struct{})
			go f.renew(s, s.spec, n, life)
		}
	}
	t := Ticket{ID: l.t.ID + "." + strconv.Itoa(i), Caller: ask.Caller, Cost: ask.Cost}
	return Decision{Allowed: true, Cost: ask.Cost, Used: s.used, Capacity: s.spec.Capacity, Ticket: t, Leased: true, Epoch: s.epoch}, true
}

// leaseFor is how many points to ask Redis to lease now (0: none), for asks like ask,
// from what this replica admitted lately (mu held). It marks the budget as leasing: one
// lease ask at a time.
func (f *Failover) leaseFor(s *foState, ask Ask, now time.Time) (int64, time.Duration) {
	if s.leaseAsk != nil || f.closed || now.Before(s.noLeaseUntil) || ask.Waiter != nil && ask.Waiter.Handle != "" {
		return 0, 0
	}
	n, life := f.leaseSize(s, ask.Cost, now)
	if n > 0 {
		s.leaseAsk = make(chan struct{})
	}
	return n, life
}

// leased records that the lease ask in flight was answered, or failed (mu held): the
// asks waiting for it go on.
func (s *foState) leased() {
	if s.leaseAsk != nil {
		close(s.leaseAsk)
		s.leaseAsk = nil
	}
}

// leaseSize is the next lease's points and life (0: none), for asks of about cost (mu
// held): twice the points admitted in the last life, so a steady stream needs a new lease
// about every other life; never more than a 16th of this replica's part of what normal
// asks may use (Redis grants it only while half of that stays free), and none if that is
// fewer than minLeaseAsks such asks. So a lease idles little of a budget that may soon
// bind, and a small budget (Retool's 300 points) gets small leases or none: its calls are
// too few for round trips to matter.
func (f *Failover) leaseSize(s *foState, cost int64, now time.Time) (int64, time.Duration) {
	life := f.leaseLife(s.spec)
	if life <= 0 {
		return 0, 0
	}
	spec := s.spec
	s.noteDemand(now, 0, life)
	n := 2 * max(s.demPrev, s.demCur)
	n = min(n, (spec.Capacity-spec.Reserve)/(maxLeaseShare*int64(f.o.Replicas)))
	if n < minLeaseAsks*max(cost, 1) {
		return 0, 0
	}
	return n, life
}

// renew asks Redis for a lease (a lease ask that carries no call), in the background:
// before the open one runs out, or for the asks that wait for it (each at most
// CallTimeout). Its context allows the background Timeout, and the client ends the call
// at its own timeout (redis.timeout), as it does every call. A failure counts like a
// take's.
func (f *Failover) renew(s *foState, spec *Spec, n int64, life time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), f.o.Timeout)
	defer cancel()
	ask := Ask{Caller: LeaseCaller, lease: n, leaseLife: life}
	res := f.redis.submit(ctx, spec, ask, f)
	ack := f.o.Now()
	f.mu.Lock()
	switch {
	case res.err == nil:
		if s.epoch != "" && res.d.Epoch != s.epoch {
			s.j.markAllDirty() // Redis lost its data: the next tick writes everything back
		}
		s.epoch, s.used = res.d.Epoch, res.d.Used
		if res.d.leaseGranted {
			f.granted(s, ask, res.d, res.sent, ack)
		} else {
			s.noLeaseUntil = ack.Add(life) // the budget is busy (or somebody waits): ask Redis call by call meanwhile
			f.endLease(s, ack)
		}
	case res.err != nil && !res.sent.IsZero():
		s.phantoms = append(s.phantoms, Ticket{ID: res.d.Ticket.ID, Caller: LeaseCaller, Cost: n})
	}
	s.leased() // the new lease (if any) is in place: the asks waiting for it go on
	f.mu.Unlock()
	if res.err != nil && !res.sent.IsZero() {
		f.failed(context.Background(), "lease", res.sent)
	}
}

// noteDemand counts points admitted now (mu held): the points of the current life and of
// the one before size the next lease.
func (s *foState) noteDemand(now time.Time, cost int64, life time.Duration) {
	if d := now.Sub(s.demStart); d >= life {
		s.demPrev = 0
		if d < 2*life {
			s.demPrev = s.demCur
		}
		s.demCur, s.demStart = 0, now
	}
	s.demCur += cost
}

// granted records a lease the take script granted (mu held) and opens it: it is
// journalled like an admission, so it is written back if Redis loses it. The lease ask
// was sent at sent; the answer arrived at ack.
func (f *Failover) granted(s *foState, ask Ask, d Decision, sent, ack time.Time) {
	spec := s.spec
	life := ask.leaseLife
	l := &lease{t: Ticket{ID: d.Ticket.ID, Caller: LeaseCaller, Cost: ask.lease}, granted: ack, until: sent.Add(life)}
	s.j.add(l.t, ack, ack.Add(life+spec.Hold+spec.Window), false)
	f.endLease(s, ack)
	s.lease = l
	if !s.lockHeard.Before(sent) {
		// Asked for before a lockout this replica made or heard of: Redis may have granted
		// it before the lock was set, so nothing is admitted from it; the close gives its
		// points back.
		f.endLease(s, ack)
	}
}

// heardLock ends the budget's open lease because the upstream locked the organisation
// out, here or on another replica, and remembers when: a lease asked for before then
// is ended as soon as it is granted.
func (f *Failover) heardLock(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.st[name]
	if !ok {
		return // this replica never spent from it: no lease to end
	}
	now := f.o.Now()
	s.lockHeard = now
	f.endLease(s, now)
}

// followLocks ends leases as soon as any replica announces a lockout (Lock), until ctx
// ends. It is best effort: an announcement missed while the subscription reconnects
// leaves the lease to the next sync, which sees the lock in Redis.
func (f *Failover) followLocks(ctx context.Context) {
	pubsub.Follow(ctx, f.redis.c, f.redis.lockChannel(), f.heardLock)
}

// endLease stops admissions from the open lease (mu held): its life is over, the budget
// got short, or the upstream locked the organisation out. It is closed once its calls are
// answered.
func (f *Failover) endLease(s *foState, now time.Time) {
	if l := s.lease; l != nil {
		if now.Before(l.until) {
			l.until = now
		}
		s.closing = append(s.closing, l)
		s.lease = nil
	}
}

// settleLeased records the answer to a call admitted from a lease (mu held); false if the
// ticket is not one (only a leased admission's ticket id has a dot: newID is hex).
func (s *foState) settleLeased(id string, now time.Time) bool {
	dot := strings.LastIndexByte(id, '.')
	if dot < 0 {
		return false
	}
	prefix := id[:dot]
	l := s.lease
	if l == nil || l.t.ID != prefix {
		l = nil
		for _, c := range s.closing {
			if c.t.ID == prefix {
				l = c
				break
			}
		}
	}
	if l == nil {
		return true // its lease is closed: what it wrote stays
	}
	i, err := strconv.Atoi(id[dot+1:])
	if err != nil || i < 0 || i >= len(l.adm) || l.adm[i].settled || l.final != nil {
		return true
	}
	a := &l.adm[i]
	a.settled = true
	l.open--
	if r := now.Add(s.spec.Window); r.Before(a.release) {
		a.release = r
	}
	return true
}

// finalize fixes what a lease's close writes (mu held): its admissions, grouped by caller
// and by release rounded up to window/leaseGroups, each group one entry.
func (l *lease) finalize(spec *Spec) {
	if l.final != nil {
		return
	}
	q := max(spec.Window/leaseGroups, time.Millisecond)
	type key struct {
		caller string
		step   int64
	}
	sum := map[key]int64{}
	for _, a := range l.adm {
		step := int64((a.release.Sub(l.granted) + q - 1) / q)
		sum[key{a.caller, step}] += a.cost
	}
	keys := make([]key, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.caller, b.caller); c != 0 {
			return c
		}
		return int(a.step - b.step)
	})
	l.final = make([]Restored, 0, len(keys))
	for i, k := range keys {
		id := l.t.ID + "-" + strconv.Itoa(i)
		// Left holds the release as an offset from granted until the close is sent.
		l.final = append(l.final, Restored{Ticket: Ticket{ID: id, Caller: k.caller, Cost: sum[k]}, Left: time.Duration(k.step) * q})
	}
}

// closeLeases closes the leases whose life is over and whose calls were answered (or
// that waited long enough for them), all when force: one write-back each, which replaces
// the lease's entry by what it really spent. A close that fails is tried again on the
// next tick; until then Redis counts the whole lease, which is only too much.
func (f *Failover) closeLeases(ctx context.Context, s *foState, force bool) error {
	for {
		now := f.o.Now()
		f.mu.Lock()
		if l := s.lease; l != nil && (force || !now.Before(l.until)) {
			f.endLease(s, now)
		}
		var l *lease
		for _, c := range s.closing {
			if force || c.open == 0 || !now.Before(c.until.Add(f.closeGrace(s.spec))) {
				l = c
				break
			}
		}
		if l == nil {
			f.mu.Unlock()
			return nil
		}
		l.finalize(s.spec)
		spec := s.spec
		entries := make([]Restored, 0, len(l.final))
		for _, e := range l.final {
			if left := l.granted.Add(e.Left).Sub(now); left > 0 {
				entries = append(entries, Restored{Ticket: e.Ticket, Left: left})
			}
		}
		hb, based := f.heartbeat(s)
		f.mu.Unlock()
		got, rnow, err := f.redis.restore(ctx, spec, hb, nil, entries, []Ticket{l.t})
		ack := f.o.Now()
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.answered(s, hb, based, rnow, now, ack)
		s.closing = slices.DeleteFunc(s.closing, func(c *lease) bool { return c == l })
		s.j.moveEarlier(l.t.ID, now)
		for _, e := range l.final {
			if r := l.granted.Add(e.Left); r.After(now) {
				s.j.add(e.Ticket, now, r, false)
			}
		}
		if got != s.epoch {
			s.j.markAllDirty() // Redis lost its data: the next tick writes everything back
			s.epoch = got
		}
		f.mu.Unlock()
	}
}

// closeGrace is how long after its life a lease waits for the answers to its calls before
// it is closed anyway (those still unanswered stay counted until Hold+Window after
// admission).
func (f *Failover) closeGrace(spec *Spec) time.Duration { return min(spec.Hold, 4*f.o.Every) }
