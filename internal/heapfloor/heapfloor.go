package heapfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Floor is the heap goal kept at least: enough to make cycles rare at the gateway's
// allocation rate, and small next to the deployments' memory limits (256 MiB).
const Floor = 32 << 20

// heapMinimum is the runtime's smallest heap goal at GOGC=100. It scales with the percent,
// so no percent above Floor/heapMinimum×100 is ever set: the smallest goal would pass Floor.
// That bound also limits the goal a heap that grew during a cycle gets before adjust sees it.
const heapMinimum = 4 << 20

var (
	mu      sync.Mutex
	running *keeper // the one keeper, while any Start is not yet stopped
	starts  int
)

// Start keeps the heap goal at least floor until the returned stop is called, which
// puts back the percent in force at Start. The percent is the process's: a second Start
// while one runs shares it (the first floor stays), and the last stop ends it.
func Start(floor uint64) (stop func()) {
	mu.Lock()
	defer mu.Unlock()
	if running == nil {
		base := debug.SetGCPercent(100)
		debug.SetGCPercent(base)
		if base < 0 { // GOGC=off: nothing to raise
			return func() {}
		}
		running = &keeper{floor: floor, base: base, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
		running.adjust()
		running.arm()
	}
	starts++
	var once sync.Once
	return func() { once.Do(release) }
}

func release() {
	mu.Lock()
	defer mu.Unlock()
	if starts--; starts == 0 {
		running.stop()
		running = nil
	}
}

type keeper struct {
	floor  uint64
	base   int
	sample []metrics.Sample

	mu      sync.Mutex
	stopped bool
}

// sentinel is collected by every cycle; its cleanup adjusts, then arms a new one. It is
// larger than the runtime's tiny allocations, which share blocks and may outlive a cycle.
type sentinel [32]byte

func (k *keeper) arm() {
	runtime.AddCleanup(new(sentinel), func(k *keeper) {
		if k.adjust() {
			k.arm()
		}
	}, k)
}

// adjust sets the percent for the live heap now; false once stopped.
func (k *keeper) adjust() bool {
	metrics.Read(k.sample)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return false
	}
	debug.SetGCPercent(Percent(k.sample[0].Value.Uint64(), k.floor, k.base))
	return true
}

func (k *keeper) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.stopped {
		k.stopped = true
		debug.SetGCPercent(k.base)
	}
}

// Percent is the GC percent that puts the goal (live × (1 + percent/100)) at about floor,
// never below base (the goal the runtime would set anyway), nor above what keeps the
// runtime's scaled minimum within floor. With no live heap measured yet (before the first
// cycle) it is base.
func Percent(live, floor uint64, base int) int {
	if live == 0 || live >= floor {
		return base
	}
	p := min((floor-live)*100/live, floor*100/heapMinimum)
	return max(base, int(p))
}
