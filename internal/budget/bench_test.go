package budget_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/testutil"
)

// BenchmarkTake measures one decision (admit) and one settle per op. Capacity is huge so
// nothing is refused and the log grows to tens of thousands of live entries: a decision
// must cost the same at any size.
func BenchmarkTake(b *testing.B) {
	spec := &budget.Spec{Name: "bench", Capacity: 1 << 40, Window: time.Minute, Hold: time.Minute}
	run := func(b *testing.B, s budget.Store) {
		ctx := context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				d, err := s.Take(ctx, spec, budget.Ask{Caller: "bench", Cost: 2})
				if err != nil || !d.Allowed {
					b.Fatalf("take: %+v %v", d, err)
				}
				if err := s.Settle(ctx, spec, d.Ticket); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("memory", func(b *testing.B) { run(b, budget.NewMemory(nil)) })
	b.Run("redis", func(b *testing.B) {
		srv := testutil.StartRedis(b)
		run(b, budget.NewRedis(newClient(b, srv.Addr()), budget.RedisOptions{RestoreGrace: -1}))
	})
}

// BenchmarkRefusedWhileExhausted measures a flood against an exhausted budget through the
// Gate: after the first refusal it answers from its cache, without a Redis round trip.
func BenchmarkRefusedWhileExhausted(b *testing.B) {
	srv := testutil.StartRedis(b)
	c := newClient(b, srv.Addr())
	s := budget.NewRedis(c, budget.RedisOptions{RestoreGrace: -1})
	spec := &budget.Spec{Name: "flood", Capacity: 10, Window: time.Minute, Hold: time.Minute}
	ctx := context.Background()
	if d, err := s.Take(ctx, spec, budget.Ask{Caller: "a", Cost: 10}); err != nil || !d.Allowed {
		b.Fatal(d, err)
	}
	g := budget.NewGate(s, nil)
	before := c.Info(ctx, "commandstats").Val()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if d, _ := g.Acquire(ctx, spec, budget.Ask{Caller: "a", Cost: 2}, 0); d.Allowed {
			b.Fatal("admitted while exhausted")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(evalCalls(c.Info(ctx, "commandstats").Val())-evalCalls(before))/float64(b.N), "redis-calls/op")
}

// evalCalls sums EVALSHA and EVAL calls from INFO commandstats.
func evalCalls(info string) int {
	n := 0
	for _, name := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
		_, rest, ok := strings.Cut(info, name)
		if !ok {
			continue
		}
		digits, _, _ := strings.Cut(rest, ",")
		v, _ := strconv.Atoi(digits)
		n += v
	}
	return n
}
