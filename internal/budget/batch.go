package budget

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Decisions for one budget are batched (group commit): an ask that arrives while no batch
// of its budget is in flight is sent at once, alone, by its own goroutine (one round trip,
// no added delay); asks that arrive while one is in flight wait and go together in the
// next, which the script decides in arrival order exactly as if each were its own call.
// So the Redis cost per admitted call falls as concurrency grows.

// maxBatch bounds the asks of one script call (its arguments and its run time), and
// maxInFlight the batches of one budget sent side by side.
const (
	maxBatch    = 128
	maxInFlight = 8
)

// takeHook is what Failover adds to every batch: one heartbeat, built when the batch is
// sent from an earlier answer's Redis clock, and the bookkeeping of the answer.
type takeHook interface {
	// beatFor returns the batch's heartbeat, what it is based on, and the send time (on
	// the hook's clock).
	beatFor(spec *Spec) (hb heartbeat, based, sent time.Time)
	answeredFor(spec *Spec, hb heartbeat, based time.Time, rnow int64, sent time.Time)
	// open reports whether the breaker is open: asks still in the line then leave it at
	// once, unsent, to be decided locally.
	open() bool
}

// errBreakerOpen answers asks still in the line when the breaker opened.
var errBreakerOpen = errors.New("the breaker opened before the batch left")

// pendingTake is one ask waiting for its batch.
type pendingTake struct {
	ctx    context.Context
	ask    Ask
	ticket Ticket
	done   chan takeResult // buffered: the sender never blocks
	// state moves from askQueued to askSent (its batch took it; sent is set before) or to
	// askGone (its caller left first, or the breaker opened): exactly one of the two, so
	// an ask the script runs is never reported unsent.
	state atomic.Int32
	sent  time.Time
}

const (
	askQueued int32 = iota
	askSent
	askGone
)

type takeResult struct {
	d    Decision
	rnow int64     // Redis µs when the batch ran
	sent time.Time // when the batch was sent
	err  error
}

// takeQueue is one budget's line of asks for the next batch.
type takeQueue struct {
	mu   sync.Mutex
	busy bool // a batch is in flight (or being sent)
	q    []*pendingTake
}

func (r *Redis) queueOf(spec *Spec, hooked bool) *takeQueue {
	m := &r.plainQ
	if hooked {
		m = &r.hookedQ
	}
	if q, ok := m.Load(spec.Name); ok {
		return q.(*takeQueue)
	}
	q, _ := m.LoadOrStore(spec.Name, &takeQueue{})
	return q.(*takeQueue)
}

// submit decides ask in a batch. ctx bounds how long the caller waits for the answer; the
// batch's own call is bounded by the latest deadline of the asks in it. On error the
// result still carries the ticket: the script may have run and admitted it.
func (r *Redis) submit(ctx context.Context, spec *Spec, ask Ask, hook takeHook) takeResult {
	p := &pendingTake{ctx: ctx, ask: ask, ticket: Ticket{ID: newID(), Caller: ask.Caller, Cost: ask.Cost}, done: make(chan takeResult, 1)}
	q := r.queueOf(spec, hook != nil)
	q.mu.Lock()
	if q.busy {
		if ask.lease > 0 {
			// A lease ask goes first: asks of this replica may be waiting for its answer.
			q.q = slices.Insert(q.q, 0, p)
		} else {
			q.q = append(q.q, p)
		}
		q.mu.Unlock()
	} else {
		q.busy = true
		q.mu.Unlock()
		r.sendTakes(spec, []*pendingTake{p}, hook) // alone: at once, on this goroutine
		r.next(spec, q, hook)
	}
	select {
	case res := <-p.done:
		return res
	case <-ctx.Done():
		res := takeResult{d: Decision{Ticket: p.ticket}, err: fmt.Errorf("take %s: %w", spec.Name, ctx.Err())}
		if !p.state.CompareAndSwap(askQueued, askGone) {
			res.sent = p.sent // its batch took it first: the script may run it
		}
		return res
	}
}

// next sends the asks that queued up meanwhile, on another goroutine (the caller that sent
// the last batch has its answer and goes on), or marks the line idle. Everything queued
// leaves together: up to maxInFlight batches side by side, so that an ask behind many
// others waits for one round trip, not one per batch ahead of it (Redis runs them one
// after the other either way; what a line of round trips would add is the network and,
// on a saturated machine, the scheduling delay of each).
func (r *Redis) next(spec *Spec, q *takeQueue, hook takeHook) {
	q.mu.Lock()
	if len(q.q) == 0 {
		q.busy = false
		q.mu.Unlock()
		return
	}
	q.mu.Unlock()
	go func() {
		for {
			q.mu.Lock()
			if len(q.q) == 0 {
				q.busy = false
				q.mu.Unlock()
				return
			}
			n := min(len(q.q), maxBatch*maxInFlight)
			all := q.q[:n:n]
			q.q = append([]*pendingTake(nil), q.q[n:]...)
			q.mu.Unlock()
			var wg sync.WaitGroup
			for len(all) > maxBatch {
				batch := all[:maxBatch:maxBatch]
				all = all[maxBatch:]
				wg.Go(func() { r.sendTakes(spec, batch, hook) })
			}
			r.sendTakes(spec, all, hook)
			wg.Wait()
		}
	}()
}

// sendTakes runs one batch and delivers every answer.
func (r *Redis) sendTakes(spec *Spec, batch []*pendingTake, hook takeHook) {
	if hook != nil && hook.open() {
		for _, p := range batch {
			if p.state.CompareAndSwap(askQueued, askGone) {
				p.done <- takeResult{err: fmt.Errorf("take %s: %w", spec.Name, errBreakerOpen)}
			}
		}
		return
	}
	var hb heartbeat
	var based time.Time
	sent := time.Now()
	if hook != nil {
		hb, based, sent = hook.beatFor(spec)
	}
	live := batch[:0:0]
	var latest time.Time
	bounded := true
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil {
			// Gone before its batch left: it was never sent, so nothing to cancel.
			if p.state.CompareAndSwap(askQueued, askGone) {
				p.done <- takeResult{err: fmt.Errorf("take %s: %w", spec.Name, err)}
			}
			continue
		}
		p.sent = sent
		if !p.state.CompareAndSwap(askQueued, askSent) {
			continue // its caller left just now and was told it was not sent
		}
		live = append(live, p)
		if dl, ok := p.ctx.Deadline(); !ok {
			bounded = false
		} else if dl.After(latest) {
			latest = dl
		}
	}
	if len(live) == 0 {
		return
	}
	// The call outlives any one caller that gives up, but none of them is kept waiting
	// past its own deadline (submit), and the call itself ends by the latest of them.
	ctx := context.WithoutCancel(live[0].ctx)
	cancel := context.CancelFunc(func() {})
	if bounded {
		ctx, cancel = context.WithDeadline(ctx, latest)
	}
	defer cancel()
	asks := make([]Ask, len(live))
	tickets := make([]Ticket, len(live))
	for i, p := range live {
		asks[i], tickets[i] = p.ask, p.ticket
	}
	ds, rnow, err := r.takeMany(ctx, spec, asks, tickets, hb)
	if err == nil && hook != nil {
		hook.answeredFor(spec, hb, based, rnow, sent)
	}
	for i, p := range live {
		if err != nil {
			p.done <- takeResult{d: Decision{Ticket: p.ticket}, sent: sent, err: err}
			continue
		}
		p.done <- takeResult{d: ds[i], rnow: rnow, sent: sent}
	}
}
