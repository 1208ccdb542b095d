package budget

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// reconcileEvery bounds how often one budget absorbs a gap: answers to calls admitted
// together report nearly the same gap, and absorbing each would count it several times.
const reconcileEvery = 50 * time.Millisecond

// reconciler is the Gate's memory for taking the upstream's word on what remains: the
// points each budget has on their way (forwarded, not yet answered) and when each last
// absorbed a gap. The zero value is ready.
type reconciler struct {
	mu       sync.Mutex
	last     map[string]time.Time // budget -> last absorption
	inflight sync.Map             // budget -> *atomic.Int64
}

func (r *reconciler) flying(budget string) *atomic.Int64 {
	if v, ok := r.inflight.Load(budget); ok {
		return v.(*atomic.Int64)
	}
	v, _ := r.inflight.LoadOrStore(budget, new(atomic.Int64))
	return v.(*atomic.Int64)
}

// Forwarding counts an admitted call's points as on their way to the upstream until
// Answered is called on what it returns (when its answer arrives or the call fails).
// Reconcile needs the count: the upstream's answer does not yet include calls still
// travelling.
func (g *Gate) Forwarding(spec *Spec, d Decision) Flying {
	n := g.rec.flying(spec.Name)
	n.Add(d.Cost)
	return Flying{n: n, cost: d.Cost}
}

// Flying is one call's points on their way to the upstream (a value: a forwarded call
// allocates nothing for it).
type Flying struct {
	n    *atomic.Int64
	cost int64
}

// Answered ends the call's flight; call it once.
func (f Flying) Answered() { f.n.Add(-f.cost) }

// Reconciliation is what one upstream answer taught about a budget.
type Reconciliation struct {
	// Gap is how many more points the upstream counts spent than the gateway did: points
	// spent outside the gateway. Zero or less means none.
	Gap int64
	// Throttled is set when a gap was found but another answer absorbed one moments ago
	// (they report nearly the same gap), so this one was not counted again.
	Throttled bool
}

// Reconcile compares an answer's remaining points (upstreamLeft) with what the budget
// counted when the call was admitted (d.Used: everything admitted before it, itself
// included), and absorbs a positive gap into the store for the budget's window, so the
// next admission already sees it. The error is the store's, when absorbing failed.
func (g *Gate) Reconcile(spec *Spec, d Decision, upstreamLeft int64) (Reconciliation, error) {
	// This call's admission counted every call admitted before it; the upstream's answer
	// counts only those that had reached it. Those still on their way are added back, or
	// the gap would come out short by them: the unsafe direction. (Calls admitted after
	// this one and still flying are added too, which only errs on the safe side.)
	flying := max(g.rec.flying(spec.Name).Load()-d.Cost, 0)
	gap := (spec.Capacity - d.Used) - upstreamLeft + flying
	if gap <= 0 {
		return Reconciliation{Gap: gap}, nil
	}
	// Held across the absorb: an answer that finds the gap already being absorbed waits
	// for it, so its caller's next call is admitted against the corrected count.
	g.rec.mu.Lock()
	defer g.rec.mu.Unlock()
	now := g.now()
	if now.Sub(g.rec.last[spec.Name]) < reconcileEvery {
		return Reconciliation{Gap: gap, Throttled: true}, nil
	}
	if g.rec.last == nil {
		g.rec.last = make(map[string]time.Time)
	}
	g.rec.last[spec.Name] = now
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return Reconciliation{Gap: gap}, g.store.Absorb(ctx, spec, gap, spec.Window)
}
