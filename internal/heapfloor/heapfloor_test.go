package heapfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, floor uint64
		base, want  int
	}{
		{4 * mib, 32 * mib, 100, 700},  // goal 32 MiB
		{5 * mib, 32 * mib, 100, 540},  // goal 32 MiB (rounded down)
		{16 * mib, 32 * mib, 100, 100}, // the default goal is the floor already
		{30 * mib, 32 * mib, 100, 100}, // the default goal is above it
		{64 * mib, 32 * mib, 100, 100},
		{1 * mib, 32 * mib, 100, 800},  // the scaled 4 MiB minimum reaches the floor
		{0, 32 * mib, 100, 100},        // no cycle yet: nothing known
		{1 * mib, 2 * mib, 100, 100},   // a floor under the runtime's own minimum
		{16 * mib, 32 * mib, 300, 300}, // never below the operator's own
	} {
		if got := Percent(c.live, c.floor, c.base); got != c.want {
			t.Errorf("Percent(%d MiB, %d MiB, %d) = %d, want %d", c.live/mib, c.floor/mib, c.base, got, c.want)
		}
	}
}

// read returns the runtime's current GC percent and heap goal.
func read() (percent, goal uint64) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// eventually runs GC cycles until ok holds (cleanups run after a cycle, on their own
// goroutine), for as long as a loaded machine may need.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			p, g := read()
			t.Fatalf("%s: never (GC percent %d, goal %d MiB)", what, p, g>>20)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStartKeepsTheGoalAtTheFloorAndStopPutsBackThePercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const floor = 48 << 20 // far above this test binary's live heap
	stop := Start(floor)
	eventually(t, "goal at the floor", func() bool {
		p, g := read()
		return p > 100 && g >= floor*9/10
	})
	// A live heap above the floor gets the default percent back.
	ballast := make([]byte, 2*floor)
	eventually(t, "default percent with a large live heap", func() bool { p, _ := read(); return p == 100 })
	runtime.KeepAlive(ballast) // and garbage from here on
	eventually(t, "raised again once the heap is small", func() bool { p, _ := read(); return p > 100 })
	second := Start(floor)
	stop()
	stop() // twice: once counts
	eventually(t, "kept while a second Start runs", func() bool { p, _ := read(); return p > 100 })
	second()
	if p, _ := read(); p != 100 {
		t.Fatalf("after the last stop: GC percent %d, want 100", p)
	}
	runtime.GC() // a cleanup armed before stop does nothing after it
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if p, _ := read(); p != 100 {
		t.Fatalf("a cycle after stop: GC percent %d, want 100", p)
	}
}

func TestStartLeavesGCOffAlone(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	stop := Start(Floor)
	runtime.GC()
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Fatalf("GOGC=off became %d", p)
	}
	stop()
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Fatalf("after stop: GOGC=off became %d", p)
	}
}
