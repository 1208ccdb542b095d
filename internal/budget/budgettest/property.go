package budgettest

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
)

// PropertyOptions sizes RunProperty.
type PropertyOptions struct {
	Capacity int64
	Window   time.Duration
	Span     time.Duration // how long callers keep asking
	Callers  int
	Gates    int // gates (replicas) sharing the stores; each gets Stores[i % len]
	Seed     int64
}

// Call is one admitted call as the simulated upstream saw it, with what a failure
// message needs to say why it was admitted (see Worst).
type Call struct {
	Arrived time.Time
	Cost    int64

	Admitted time.Time // when Acquire returned
	Gate     int       // which gate (replica) admitted it
	Ticket   string
	Local    bool // decided without Redis (Failover's share)
	Leased   bool // admitted from a lease
}

// RunProperty drives Callers goroutines with mixed costs through gates over stores for
// Span, each admitted call "reaching the upstream" at a random instant between admission
// and answer, and returns every call. It checks nothing itself: see CheckWindows.
func RunProperty(t *testing.T, stores []budget.Store, o PropertyOptions) []Call {
	t.Helper()
	spec := &budget.Spec{Name: "property-" + time.Now().Format("150405.000000"), Capacity: o.Capacity, Window: o.Window, Hold: o.Window}
	gates := make([]*budget.Gate, o.Gates)
	for i := range gates {
		gates[i] = budget.NewGate(stores[i%len(stores)], nil)
	}
	costs := []int64{2, 2, 2, 5, 5, 10}
	var mu sync.Mutex
	var calls []Call
	var stall time.Duration // the longest admission-to-arrival: see the log at the end
	stop := time.Now().Add(o.Span)
	var wg sync.WaitGroup
	for c := range o.Callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(o.Seed + int64(c)))
			gi := c % len(gates)
			g := gates[gi]
			for time.Now().Before(stop) {
				cost := costs[rng.Intn(len(costs))]
				// Patience of 1.5 windows: a request arriving just after a burst still sees the
				// next release (with max_wait == window it would miss it by the latency).
				d, err := g.Acquire(context.Background(), spec, budget.Ask{Caller: "c", Cost: cost}, o.Window*3/2)
				admitted := time.Now()
				if err != nil || !d.Allowed {
					// A polite client honours Retry-After, with jitter, instead of spinning.
					time.Sleep(max(d.RetryAfter-time.Duration(rng.Int63n(int64(o.Window/4))), time.Millisecond))
					continue
				}
				// Latency jitter: reach the upstream somewhere inside the call, answer later.
				time.Sleep(time.Duration(rng.Int63n(int64(5 * time.Millisecond))))
				arrived := time.Now()
				time.Sleep(time.Duration(rng.Int63n(int64(5 * time.Millisecond))))
				mu.Lock()
				calls = append(calls, Call{Arrived: arrived, Cost: cost, Admitted: admitted, Gate: gi,
					Ticket: d.Ticket.ID, Local: d.Local, Leased: d.Leased})
				stall = max(stall, arrived.Sub(admitted))
				mu.Unlock()
				if err := g.Settle(spec, d.Ticket); err != nil {
					t.Errorf("settle: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	// A call that reaches the upstream more than Hold after its admission (this process
	// stalled that long) may be released before it arrives: the contract does not cover
	// it, and a window check that fails then says more about the machine than the store.
	t.Logf("longest admission-to-arrival: %v (hold %v)", stall, spec.Hold)
	return calls
}

// CheckWindows returns the most points that arrived in any interval [t, t+window), and the
// utilisation: points / (capacity × (span/window + 1)), the most a perfect limiter allows.
func CheckWindows(calls []Call, capacity int64, window time.Duration) (maxPoints int64, utilisation float64) {
	if len(calls) == 0 {
		return 0, 0
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].Arrived.Before(calls[j].Arrived) })
	var sum, total int64
	lo := 0
	for _, c := range calls {
		sum += c.Cost
		total += c.Cost
		for !calls[lo].Arrived.After(c.Arrived.Add(-window)) {
			sum -= calls[lo].Cost
			lo++
		}
		maxPoints = max(maxPoints, sum)
	}
	span := calls[len(calls)-1].Arrived.Sub(calls[0].Arrived)
	possible := float64(capacity) * (float64(span)/float64(window) + 1)
	return maxPoints, float64(total) / possible
}

// Worst describes the interval [t, t+window) that held the most points: each of its calls
// with when it was admitted and arrived (relative to the interval's first arrival), its
// gate, and how it was decided. A test that finds a window over capacity logs it, so a
// failure seen once on a loaded machine says what happened.
func Worst(calls []Call, window time.Duration) string {
	if len(calls) == 0 {
		return "no calls"
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].Arrived.Before(calls[j].Arrived) })
	var sum, best int64
	lo, bestLo, bestHi := 0, 0, 0
	for hi, c := range calls {
		sum += c.Cost
		for !calls[lo].Arrived.After(c.Arrived.Add(-window)) {
			sum -= calls[lo].Cost
			lo++
		}
		if sum > best {
			best, bestLo, bestHi = sum, lo, hi
		}
	}
	t0 := calls[bestLo].Arrived
	var b strings.Builder
	fmt.Fprintf(&b, "%d points arrived in [%s, +%v), %v after the first call:\n", best, t0.Format("15:04:05.000000"), window, t0.Sub(calls[0].Arrived))
	for _, c := range calls[bestLo : bestHi+1] {
		how := "redis"
		switch {
		case c.Leased:
			how = "lease"
		case c.Local:
			how = "alone"
		}
		fmt.Fprintf(&b, "  gate %d %-5s cost %2d admitted %+9.3fms arrived %+9.3fms ticket %s\n",
			c.Gate, how, c.Cost, ms(c.Admitted.Sub(t0)), ms(c.Arrived.Sub(t0)), c.Ticket)
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
