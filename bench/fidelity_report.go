package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/budgetgw/gateway/bench/internal/load"
)

func fidelityMarkdown(b *strings.Builder, runs []*fidelityReport) {
	f := runs[0]
	fmt.Fprintf(b, "## Fidelity\n\n%d gateway processes (`redis.replicas: %d`) on one Redis, in front of the simulated Retool API "+
		"(`internal/sandbox`: %d points per sliding %s window — Retool's 60 s scaled down — 429 and a lockout when exceeded, "+
		"answers after %s–%s). %d callers, each with its own key: a third make 2-point calls (GET /api/v2/users), a third 5-point "+
		"(GET /api/v2/groups), a third 10-point (POST /api/v2/permissions/listObjects); each sends one call at a time for %s and "+
		"after a 429 sleeps its Retry-After less up to 1 s of jitter. Two runs: `max_wait` scaled like the window (the shipped 5 s "+
		"against 60 s), and `max_wait` of one and a half windows, so that a call refused just after a burst can wait for the next "+
		"release and most admitted calls have waited in the line the replicas share. "+
		"The verdict reads the upstream's own log.\n\n",
		f.replicas, f.replicas, f.capacity, f.window, f.latency[0], f.latency[1], f.callers, f.span)
	b.WriteString("| max_wait | max points in any window | capacity | upstream 429s | calls charged | points charged | utilisation | answers at the callers |\n|---|---|---|---|---|---|---|---|\n")
	for _, f := range runs {
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %.3f | %s |\n", f.maxWait, f.maxPoints, f.capacity, f.upstream429, f.calls, f.points, f.utilisation, statusList(f.statuses))
	}
	b.WriteString("\nUtilisation is points ÷ (capacity × (span of the charged calls ÷ window + 1)): the most any rule-abiding client could have spent.\n\n")
	b.WriteString("Time admitted calls waited for points (the access logs' `wait`):\n\n| max_wait | calls | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|\n")
	for _, f := range runs {
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s |\n", f.maxWait, len(f.waits), ms(load.Quantile(f.waits, 0.5)), ms(load.Quantile(f.waits, 0.9)), ms(load.Quantile(f.waits, 0.99)), ms(load.Quantile(f.waits, 1)))
	}
	b.WriteString("\nPoints per caller (fairness), by the cost of the caller's calls. Jain's index is 1.0 when every caller got the same; " +
		"with about one answered call per caller per run, it mostly shows which callers were lucky. The calls per caller show whether " +
		"a class is starved: a 10-point caller should get about as many calls through as a 2-point one.\n\n")
	b.WriteString("| max_wait | callers | cost per call | calls per caller (mean) | points: min | median | max | share of all points | Jain's index |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range runs {
		f.fairnessRows(b)
	}
	b.WriteString("\n")
}

func (f *fidelityReport) fairnessRows(b *strings.Builder) {
	var all []float64
	var total int64
	for _, p := range f.byCaller {
		total += p
	}
	for _, op := range fidelityOps {
		var pts []int64
		for name, cost := range f.callerCost {
			if cost == op.cost {
				pts = append(pts, f.byCaller[name])
				all = append(all, float64(f.byCaller[name]))
			}
		}
		slices.Sort(pts)
		var sum int64
		fl := make([]float64, len(pts))
		for i, p := range pts {
			sum += p
			fl[i] = float64(p)
		}
		fmt.Fprintf(b, "| %s | %d | %d | %.2f | %d | %d | %d | %.1f%% | %.3f |\n", f.maxWait, len(pts), op.cost,
			float64(sum)/float64(op.cost)/math.Max(float64(len(pts)), 1), pts[0], pts[len(pts)/2], pts[len(pts)-1],
			100*float64(sum)/math.Max(float64(total), 1), jain(fl))
	}
	fmt.Fprintf(b, "| %s | all %d | | | | | | 100%% | %.3f |\n", f.maxWait, len(all), jain(all))
}

// jain is Jain's fairness index: (Σx)² / (n·Σx²).
func jain(xs []float64) float64 {
	var s, s2 float64
	for _, x := range xs {
		s += x
		s2 += x * x
	}
	if s2 == 0 {
		return 0
	}
	return s * s / (float64(len(xs)) * s2)
}

func statusList(m map[int]int) string {
	codes := slices.Sorted(maps.Keys(m))
	var parts []string
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "transport error"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, m[c]))
	}
	return strings.Join(parts, ", ")
}
