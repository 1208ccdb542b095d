package budget

import (
	"context"
	"time"
)

// Run syncs and heartbeats each budget while Redis answers, and probes it (writing the
// journals back) while it does not, until ctx ends; then it sends the settles still
// queued and says goodbye, so the others stop setting a share aside for this replica.
func (f *Failover) Run(ctx context.Context) {
	t := time.NewTicker(f.o.Every)
	defer t.Stop()
	following := make(chan struct{})
	if f.o.LeaseLife >= 0 {
		go func() { defer close(following); f.followLocks(ctx) }()
	} else {
		close(following) // no leases: nothing to end when another replica locks out
	}
	for {
		select {
		case <-ctx.Done():
			<-following
			f.Flush() // settles still on their way (the servers have drained by now)
			f.closeAll()
			f.goodbye()
			return
		case <-t.C:
		}
		f.tick(ctx)
	}
}

func (f *Failover) states() []*foState {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*foState, 0, len(f.st))
	for _, s := range f.st {
		out = append(out, s)
	}
	return out
}

func (f *Failover) tick(ctx context.Context) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		f.recover(ctx)
		return
	}
	for _, s := range f.states() {
		cctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
		f.mu.Lock()
		// Asks whose answer was lost, or entries a write-back or settle left behind (it
		// failed while Redis answered others), go back before the next sync.
		behind := len(s.phantoms) > 0 || s.j.pending() > 0
		f.mu.Unlock()
		sent := f.o.Now()
		var err error
		if behind {
			err = f.restore(cctx, s)
		} else {
			_, err = f.sync(cctx, s)
		}
		op := "usage"
		if err == nil {
			op, sent = "lease", f.o.Now()
			err = f.closeLeases(cctx, s, false)
		}
		cancel()
		if err != nil && f.failed(ctx, op, sent) {
			return
		}
	}
}

// recover probes Redis by writing every budget's journal back; once that works, it
// writes back again what was admitted alone meanwhile, with local admissions held for
// that one round trip (so none is left out), and closes the breaker.
func (f *Failover) recover(ctx context.Context) {
	ok := f.restoreAll(ctx)
	if ok {
		f.mu.Lock()
		f.restoring = true
		f.mu.Unlock()
		ok = f.restoreAll(ctx)
	}
	var back []string
	f.mu.Lock()
	f.restoring = false
	if ok {
		f.down = false
		for name, s := range f.st {
			if s.degraded {
				s.degraded = false
				back = append(back, name)
			}
		}
	}
	f.mu.Unlock()
	if !ok && ctx.Err() == nil {
		f.o.OnError("probe")
	}
	for _, n := range back {
		f.o.OnDegraded(n, false)
	}
}

func (f *Failover) restoreAll(ctx context.Context) bool {
	for _, s := range f.states() {
		cctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
		err := f.restore(cctx, s)
		cancel()
		if err != nil {
			return false
		}
	}
	return true
}

// sync reads the budget's schedule (and heartbeats); it writes the journal back when
// Redis lost its data since the last answer.
func (f *Failover) sync(ctx context.Context, s *foState) (Usage, error) {
	f.mu.Lock()
	hb, based := f.heartbeat(s)
	spec := s.spec
	seq := s.j.seq // entries journalled before this are in the schedule the answer reports
	f.mu.Unlock()
	sent := f.o.Now()
	st, rnow, err := f.redis.usage(ctx, spec, hb)
	if err != nil {
		return Usage{}, err
	}
	ack := f.o.Now()
	f.mu.Lock()
	f.answered(s, hb, based, rnow, sent, ack)
	lost := s.epoch != "" && st.Epoch != "" && st.Epoch != s.epoch
	s.synced, s.syncSent, s.syncAck, s.syncUsed, s.sched, s.beats = true, sent, ack, st.Used, st.Schedule, st.beats
	s.used = st.Used
	if st.LockedFor > 0 || st.Waiters > 0 {
		f.endLease(s, ack) // locked out, or others wait: what the lease holds idle goes back
	}
	s.j.synced(seq)
	if st.Epoch != "" {
		s.epoch = st.Epoch
	}
	empty := st.Epoch == "" && len(s.j.byID) > 0
	if lost || empty {
		s.j.markAllDirty() // Redis lost what it held
	}
	f.mu.Unlock()
	if lost || empty {
		if err := f.restore(ctx, s); err != nil {
			return st.Usage, err
		}
	}
	return st.Usage, nil
}

// restoreChunk bounds the entries of one write-back call, so that a large journal (a
// budget of many cheap calls) goes back in calls Redis runs quickly, each one's progress
// kept, instead of one call too large to finish within its timeout.
const restoreChunk = 1024

// restore writes back what Redis may not have as the journal has it (what this replica
// admitted alone, and releases moved earlier while cut off), the heartbeats it last saw,
// and cancels asks whose answer was lost. When the answer shows that Redis lost its data
// (another epoch), it writes back the whole journal. Entries written stay written if a
// later call fails: the next restore sends only the rest.
func (f *Failover) restore(ctx context.Context, s *foState) error {
	f.mu.Lock()
	spec, phantoms, beats, epoch := s.spec, s.phantoms, s.beats, s.epoch
	left := s.j.pending() // what is dirty now; later admissions wait for the next pass
	f.mu.Unlock()
	for first := true; ; first = false {
		now := f.o.Now()
		f.mu.Lock()
		s.j.advance(now)
		es, gens := s.j.takeDirty(restoreChunk, &left)
		entries := make([]Restored, 0, len(es))
		for _, e := range es {
			entries = append(entries, Restored{Ticket: e.t, Left: max(e.release.Sub(now), time.Microsecond)})
		}
		hb, based := f.heartbeat(s)
		f.mu.Unlock()
		if len(es) == 0 && !first {
			break
		}
		var cancel []Ticket
		if first {
			cancel = phantoms
		}
		got, rnow, err := f.redis.restore(ctx, spec, hb, beats, entries, cancel)
		ack := f.o.Now()
		f.mu.Lock()
		if err != nil {
			s.j.unwritten(es)
			f.mu.Unlock()
			return err
		}
		f.answered(s, hb, based, rnow, now, ack)
		s.j.written(es, gens)
		if first {
			s.phantoms = s.phantoms[len(phantoms):]
		}
		if got != epoch {
			// Redis lost its data (or this is the first answer): everything goes back.
			s.j.markAllDirty()
			left = s.j.pending()
			epoch = got
		}
		s.epoch = got
		f.mu.Unlock()
	}
	return nil
}

// closeAll closes every lease when the replica stops while connected (the settles are
// flushed by then), so that what they hold unspent comes back now.
func (f *Failover) closeAll() {
	f.mu.Lock()
	f.closed = true // no new lease from here on
	down := f.down
	var asks []chan struct{}
	for _, s := range f.st {
		if s.leaseAsk != nil {
			asks = append(asks, s.leaseAsk)
		}
	}
	f.mu.Unlock()
	if down {
		return // the journal's entries run out on their own
	}
	// A lease asked for before the stop may still be granted: wait for the answer (one
	// background call, at most Timeout), so that the closes below give its points back
	// too instead of leaving them counted until the lease expires.
	wait := time.NewTimer(f.o.Timeout)
	defer wait.Stop()
waiting:
	for _, a := range asks {
		select {
		case <-a:
		case <-wait.C:
			break waiting
		}
	}
	for _, s := range f.states() {
		ctx, cancel := context.WithTimeout(context.Background(), f.o.Timeout)
		_ = f.closeLeases(ctx, s, true)
		cancel()
	}
}

// goodbye removes this replica's heartbeats when it stops while connected: it will not
// spend alone, so the others need not set its share aside.
func (f *Failover) goodbye() {
	f.mu.Lock()
	f.closed = true
	down := f.down
	f.mu.Unlock()
	if down {
		return // cut off: the others keep our share until it is provably unused
	}
	for _, s := range f.states() {
		ctx, cancel := context.WithTimeout(context.Background(), f.o.Timeout)
		_ = f.redis.forget(ctx, s.spec, f.id)
		cancel()
	}
}
