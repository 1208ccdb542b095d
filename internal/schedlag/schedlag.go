package schedlag

import (
	"context"
	"math"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

const name = "/sched/latencies:seconds"

// Sampler reads the runtime's histogram every Every and keeps the p99 of the last Span.
type Sampler struct {
	every time.Duration
	ring  []*metrics.Float64Histogram // the last span/every+1 readings, oldest first
	lag   atomic.Int64                // ns
}

// New returns a sampler that reads every 100ms and reports over the last second.
func New() *Sampler { return &Sampler{every: 100 * time.Millisecond} }

// Lag is the p99 scheduling latency of the last second (0 before two readings).
func (s *Sampler) Lag() time.Duration { return time.Duration(s.lag.Load()) }

// Run samples until ctx ends.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(s.every)
	defer t.Stop()
	const keep = 11 // readings a second apart at both ends
	sample := []metrics.Sample{{Name: name}}
	for {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
			return // a runtime without the metric: no lag is ever reported
		}
		h := sample[0].Value.Float64Histogram()
		cur := &metrics.Float64Histogram{Counts: append([]uint64(nil), h.Counts...), Buckets: h.Buckets}
		s.ring = append(s.ring, cur)
		if len(s.ring) > keep {
			s.ring = s.ring[1:]
		}
		s.lag.Store(int64(Quantile(s.ring[0], cur, 0.99)))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Quantile is the q-quantile of what was added to a cumulative histogram between the
// readings prev and cur (same buckets), as the upper bound of the bucket it falls in.
func Quantile(prev, cur *metrics.Float64Histogram, q float64) time.Duration {
	if prev == nil || cur == nil || len(prev.Counts) != len(cur.Counts) {
		return 0
	}
	var total uint64
	for i := range cur.Counts {
		total += cur.Counts[i] - prev.Counts[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i := range cur.Counts {
		seen += cur.Counts[i] - prev.Counts[i]
		if seen >= rank {
			upper := cur.Buckets[i+1]
			if math.IsInf(upper, 1) {
				upper = cur.Buckets[i]
			}
			return time.Duration(upper * float64(time.Second))
		}
	}
	return 0
}
