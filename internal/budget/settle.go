package budget

import "context"

// Failover sends its settles asynchronously, batched (internal/groupcommit): a caller
// never waits for Redis to hear that its upstream answered. A settle that arrives late
// (or never, if the process dies) only keeps its points counted longer: until Window
// after Redis hears of it, or Hold+Window after admission.

// maxSettles bounds the tickets of one settle script call.
const maxSettles = 256

// sendSettles is one bounded settle call. A failure counts like any other Redis call's
// (it may open the breaker), and loses nothing that matters: Redis keeps the calls
// counted until their crash expiry, and the journal, written back after an outage, moves
// their releases to Window after the answers.
func (f *Failover) sendSettles(spec *Spec, ts []Ticket) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		f.unsettled(spec, ts) // the journal holds the earlier releases; the write-back carries them
		return
	}
	ctx, cancel, sent := f.call(context.Background())
	defer cancel()
	if err := f.redis.settleMany(ctx, spec, ts); err != nil {
		f.unsettled(spec, ts)
		f.failed(ctx, "settle", sent)
		return
	}
	f.ok(f.o.Now())
}

// unsettled marks settles that did not reach Redis for the next write-back.
func (f *Failover) unsettled(spec *Spec, ts []Ticket) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.state(spec)
	for _, t := range ts {
		s.j.markDirty(s.j.byID[t.ID])
	}
}

// Flush waits until every settle made before it was sent to Redis (or failed to be).
// Shutdown calls it (Run does, when its context ends), so that a settle made just before
// the replica stops reaches Redis: each is bounded by CallTimeout.
func (f *Failover) Flush() { f.settles.Wait() }
