package budget

import (
	"maps"
	"time"
)

// The arithmetic of the local share. Every bound here is in this replica's own clock,
// built from durations Redis measured (never by comparing clocks): see doc.go.

// heartbeat is what this replica's next call to Redis carries, and the local send time of
// the answer its claim is based on. The claim, "connected until rNow+Stale", is derived
// from an earlier answer, never from the clock of the call that carries it: Redis may run
// a command long after the replica gave up on it (a frozen server resumes and drains its
// sockets), and such a late command must not make a cut-off replica look connected.
func (f *Failover) heartbeat(s *foState) (heartbeat, time.Time) {
	hb := heartbeat{replica: f.id}
	if f.closed {
		hb.replica = "" // said goodbye: stay forgotten
	} else if s.rNow > 0 {
		hb.until = s.rNow + f.o.Stale.Microseconds()
	}
	if n := int64(f.o.Replicas); n > 1 {
		hb.share = s.spec.Capacity / n
		hb.gone = f.goneAfter(s.spec).Microseconds()
	}
	return hb, s.rSent
}

// goneAfter is how long after a replica's heartbeat lapsed the others keep its share
// aside. The cut-off replica stops spending alone early enough (Hold+Window before) for
// everything it admitted to be released by then.
func (f *Failover) goneAfter(spec *Spec) time.Duration { return 4 * (spec.Hold + spec.Window) }

// answered records an answer from Redis (mu held): its clock, and that the heartbeat it
// carried is written.
func (f *Failover) answered(s *foState, hb heartbeat, based time.Time, rnow int64, sent, ack time.Time) {
	if ack.After(f.lastAnswer) {
		f.lastAnswer = ack
	}
	if hb.until > 0 && (!s.beatKnown || based.After(s.beatFloor)) {
		s.beatKnown, s.beatFloor = true, based
	}
	if rnow > s.rNow {
		s.rNow, s.rSent, s.rAck = rnow, sent, ack
	}
}

// spendWindow is when a cut-off replica of several may spend its share alone: from when
// every admission the others made before noticing it is released, until Hold+Window
// before they stop setting its share aside. ok is false when the others never heard of it.
func (f *Failover) spendWindow(s *foState) (from, until time.Time, ok bool) {
	if !s.beatKnown {
		return time.Time{}, time.Time{}, false
	}
	life := s.spec.Hold + s.spec.Window
	// The others notice no later than Stale after the latest Redis time we ever based a
	// heartbeat on, which Redis reached before we received it (rAck).
	from = s.rAck.Add(f.o.Stale + life)
	// They keep our share until goneAfter past our last confirmed heartbeat, which is
	// based on a Redis time no earlier than beatFloor.
	until = s.beatFloor.Add(f.o.Stale + f.goneAfter(s.spec) - life)
	return from, until, true
}

// takeLocal decides alone while Redis does not answer.
func (f *Failover) takeLocal(spec *Spec, ask Ask) (Decision, error) {
	if f.o.FailClosed {
		return Decision{}, ErrUnavailable
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.state(spec)
	now := s.j.advance(f.o.Now())
	d := Decision{Cost: ask.Cost, Capacity: spec.Capacity, Local: true}
	limit, used := f.localLimit(s, ask.Priority, now)
	d.Used = used
	if ask.CallerCap > 0 && s.j.localBy[ask.Caller]+ask.Cost > ask.CallerCap {
		d.Reason, d.RetryAfter = ReasonCallerCap, f.o.Every
		return d, nil
	}
	if f.restoring || f.closed || used+ask.Cost > limit {
		// Wake soon: room grows as points are released, and Redis may be back.
		d.Reason, d.RetryAfter = ReasonExhausted, f.o.Every
		return d, nil
	}
	t := Ticket{ID: newID(), Caller: ask.Caller, Cost: ask.Cost}
	s.j.add(t, now, now.Add(spec.Hold+spec.Window), true)
	d.Allowed, d.Ticket, d.Used = true, t, used+ask.Cost
	return d, nil
}

// localLimit returns how many points this replica may hold alone now, and how many of
// them count already (mu held; the journal advanced to now).
func (f *Failover) localLimit(s *foState, p Priority, now time.Time) (limit, used int64) {
	spec := s.spec
	n := int64(f.o.Replicas)
	if n == 1 {
		// Nobody else spends: everything counted is what Redis held at the last sync
		// (until its release) plus what this replica admitted since.
		limit = spec.Capacity
		if p != PriorityCritical {
			limit -= spec.Reserve
		}
		return limit, s.knownUsed(now, f.started)
	}
	used = s.j.local
	from, until, ok := f.spendWindow(s)
	if !ok || now.Before(from) || !now.Before(until) {
		return 0, used
	}
	limit = spec.Capacity / n
	if p != PriorityCritical {
		limit -= (spec.Reserve + n - 1) / n
	}
	return limit, used
}

// knownUsed bounds the points counted at now, for a replica that is alone: the schedule
// of the last sync plus journal entries admitted after it was sent. Before any sync it
// assumes the budget full until everything admitted before this process started is
// released. The journal has advanced to now.
func (s *foState) knownUsed(now, started time.Time) int64 {
	if !s.synced && now.Before(started.Add(s.spec.Hold+s.spec.Window)) {
		return s.spec.Capacity
	}
	var used int64
	for _, r := range s.sched {
		if s.syncAck.Add(r.After).After(now) {
			used += r.Points
		}
	}
	if !s.synced {
		return used + s.j.alive
	}
	return used + s.j.since
}

// localUsage is what Usage reports while Redis does not answer: this replica's estimate
// (what it knows is counted; with several replicas, the others' spending since the last
// sync is not in it).
func (f *Failover) localUsage(s *foState) Usage {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := s.j.advance(f.o.Now())
	u := Usage{Capacity: s.spec.Capacity, Epoch: s.epoch, ByCaller: maps.Clone(s.j.aliveBy)}
	u.Used = min(s.knownUsed(now, f.started), s.spec.Capacity)
	return u
}
