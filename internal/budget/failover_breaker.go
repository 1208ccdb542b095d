package budget

import (
	"context"
	"time"
)

// The breaker: one for the process. The first Redis call made for a request that fails
// (and that no other answer contradicts) opens it; the background loop closes it when a
// write-back works (failover_run.go). See doc.go.

// call bounds one Redis call made for a request: never longer than CallTimeout, never
// past the request's own deadline. It also returns when the call was sent.
func (f *Failover) call(ctx context.Context) (context.Context, context.CancelFunc, time.Time) {
	cctx, cancel := context.WithTimeout(ctx, f.o.CallTimeout)
	return cctx, cancel, f.o.Now()
}

// ok records that Redis answered a call at ack.
func (f *Failover) ok(ack time.Time) {
	f.mu.Lock()
	if ack.After(f.lastAnswer) {
		f.lastAnswer = ack
	}
	f.mu.Unlock()
}

// failed counts a Redis call sent at sent that failed, and opens the breaker unless the
// caller gave up first, Redis answered another call since this one was sent (Redis is
// slow for this call, not hung), or the process is starved of CPU (see Lag). It reports
// whether the breaker is open.
func (f *Failover) failed(ctx context.Context, op string, sent time.Time) bool {
	if ctx.Err() != nil {
		return false
	}
	f.o.OnError(op)
	f.mu.Lock()
	answered := f.lastAnswer.After(sent)
	f.mu.Unlock()
	if answered || f.starved() {
		return false
	}
	f.trip()
	return true
}

// starved reports whether this process is too busy for a timeout to mean anything about
// Redis: woken goroutines wait for a CPU more than a quarter of CallTimeout.
func (f *Failover) starved() bool {
	return f.o.Lag != nil && f.o.Lag() > f.o.CallTimeout/4
}

// trip opens the breaker: every request of the process moves to the local share at
// once, and only the background loop talks to Redis until it answers again.
func (f *Failover) trip() {
	f.mu.Lock()
	if f.down {
		f.mu.Unlock()
		return
	}
	f.down = true
	var names []string
	for name, s := range f.st {
		if !s.degraded {
			s.degraded = true
			names = append(names, name)
		}
	}
	f.mu.Unlock()
	for _, n := range names {
		f.o.OnDegraded(n, true)
	}
}
