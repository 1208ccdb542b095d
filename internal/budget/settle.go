package budget

import (
	"context"
	"sync"
)

// settleQueue sends Failover's settles asynchronously, batched: a caller never waits for
// Redis to hear that its upstream answered. Group commit again: a settle that arrives
// while no flush is in flight starts one; those that arrive meanwhile go in the next.
// A settle that arrives late (or never, if the process dies) only keeps its points
// counted longer: until Window after Redis hears of it, or Hold+Window after admission.
type settleQueue struct {
	mu   sync.Mutex
	idle *sync.Cond // signalled when a flush ends with nothing left to send
	busy bool
	q    map[string]*pendingSettles // budget name -> its settles
}

type pendingSettles struct {
	spec    *Spec
	tickets []Ticket
}

// maxSettles bounds the tickets of one settle script call.
const maxSettles = 256

func (sq *settleQueue) add(f *Failover, spec *Spec, t Ticket) {
	sq.mu.Lock()
	if sq.q == nil {
		sq.q = map[string]*pendingSettles{}
	}
	p := sq.q[spec.Name]
	if p == nil {
		p = &pendingSettles{spec: spec}
		sq.q[spec.Name] = p
	}
	p.spec = spec
	p.tickets = append(p.tickets, t)
	start := !sq.busy
	sq.busy = true
	sq.mu.Unlock()
	if start {
		go sq.flushLoop(f)
	}
}

// flushLoop sends what is queued until nothing is.
func (sq *settleQueue) flushLoop(f *Failover) {
	for {
		sq.mu.Lock()
		if len(sq.q) == 0 {
			sq.busy = false
			sq.idle.Broadcast()
			sq.mu.Unlock()
			return
		}
		batch := sq.q
		sq.q = nil
		sq.mu.Unlock()
		for _, p := range batch {
			for len(p.tickets) > 0 {
				n := min(len(p.tickets), maxSettles)
				f.sendSettles(p.spec, p.tickets[:n])
				p.tickets = p.tickets[n:]
			}
		}
	}
}

// sendSettles is one bounded settle call. A failure counts like any other Redis call's
// (it may open the breaker), and loses nothing that matters: Redis keeps the calls
// counted until their crash expiry, and the journal, written back after an outage, moves
// their releases to Window after the answers.
func (f *Failover) sendSettles(spec *Spec, ts []Ticket) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return // the journal already holds the earlier releases; the write-back carries them
	}
	ctx, cancel, sent := f.call(context.Background())
	defer cancel()
	if err := f.redis.settleMany(ctx, spec, ts); err != nil {
		f.failed(ctx, "settle", sent)
		return
	}
	f.ok(f.o.Now())
}

// Flush waits until every settle made before it was sent to Redis (or failed to be).
// Shutdown calls it (Run does, when its context ends), so that a settle made just before
// the replica stops reaches Redis: each is bounded by CallTimeout.
func (f *Failover) Flush() {
	sq := &f.settles
	sq.mu.Lock()
	defer sq.mu.Unlock()
	for sq.busy {
		sq.idle.Wait()
	}
}
