package schedlag

import (
	"math"
	"runtime/metrics"
	"testing"
	"time"
)

func TestQuantileOfWhatWasAddedBetweenReadings(t *testing.T) {
	buckets := []float64{0, 0.001, 0.01, 0.1, math.Inf(1)}
	prev := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{500, 10, 0, 0}}
	// Since prev: 98 fast wake-ups and 2 that waited 10-100ms.
	cur := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{598, 10, 2, 0}}
	if got := Quantile(prev, cur, 0.99); got != 100*time.Millisecond {
		t.Errorf("p99 %v; want 100ms (the bucket the 99th of 100 falls in)", got)
	}
	if got := Quantile(prev, cur, 0.5); got != time.Millisecond {
		t.Errorf("p50 %v; want 1ms", got)
	}
	if got := Quantile(cur, cur, 0.99); got != 0 {
		t.Errorf("nothing added: %v; want 0", got)
	}
	over := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{598, 10, 2, 100}}
	if got := Quantile(prev, over, 0.99); got != 100*time.Millisecond {
		t.Errorf("beyond the last bound: %v; want the bound, 100ms", got)
	}
}
