package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/budgetgw/gateway/bench/internal/machine"
)

// beforeCPU is ", before: memory X µs, Redis Y µs" when a baseline was measured.
func (o *overheadReport) beforeCPU() string {
	m, g := o.find(targetBeforeMemory, 0), o.find(targetBeforeGateway, 0)
	if m == nil || g == nil {
		return ""
	}
	return fmt.Sprintf(" (before: %.0f µs, %.0f µs)", m.perReq(m.proxyCPU), g.perReq(g.proxyCPU))
}

func (o *overheadReport) find(target string, rate int) *overheadRow {
	for i := range o.rows {
		if o.rows[i].target == target && o.rows[i].rate == rate {
			return &o.rows[i]
		}
	}
	return nil
}

// turns says how the targets took turns (nothing when each ran once, as with -quick).
func (o *overheadReport) turns() string {
	if o.rounds <= 1 {
		return ""
	}
	slice := o.dur / time.Duration(o.rounds)
	return fmt.Sprintf("At saturation and 1000 rps the targets take turns, in slices of %s, one target after the other (each keeps "+
		"its connections between its slices, and each slice after the first is warmed again for %s), and a row pools its target's "+
		"slices: noise on a shared machine comes in spells of seconds, and taking turns spreads it over every row instead of charging "+
		"whichever ran through it. At saturation each target has %d slices; at 1000 rps %d (%s measured): a p99 is its row's "+
		"slowest hundredth of calls, and one spell can make most of that in fewer. Beyond that, each target runs once for the whole "+
		"time (an unsustained rate measures a queue that grows with time). ", slice, o.rewarm, o.rounds, o.tailRounds,
		slice*time.Duration(o.tailRounds))
}

// stealNote says which slices were measured again because the host took too much of the
// machine while they ran (nothing when no slice could be, as with -quick).
func (o *overheadReport) stealNote() string {
	if o.attempts <= 1 || o.slices == 0 {
		return ""
	}
	return fmt.Sprintf("A taking-turns slice during which the host took more than %.0f%% of the machine's CPU time (steal, from `/proc/stat`) "+
		"was measured again, up to %d tries in all, and the try the host took least from was kept; the rule reads the host only, never "+
		"the latencies, and holds for every target alike. %d of the %d slices were measured again. The host steal column is over each "+
		"row's kept slices. ", 100*quietSteal, o.attempts, o.redone, o.slices)
}

// steals is the host steal over the rows of targets at rate, comma-separated.
func (o *overheadReport) steals(rate int, targets ...string) string {
	var out []string
	for _, t := range targets {
		if r := o.find(t, rate); r != nil {
			out = append(out, machine.Percent(r.steal.Share()))
		} else {
			out = append(out, "—")
		}
	}
	return strings.Join(out, ", ")
}

// tailNote is the 1000 rps run's measured time, when longer than the others'.
func (o *overheadReport) tailNote() string {
	if o.rounds <= 0 || o.tailRounds <= o.rounds {
		return ""
	}
	return fmt.Sprintf(" (%s at 1000 rps)", o.dur/time.Duration(o.rounds)*time.Duration(o.tailRounds))
}

func (o *overheadReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "## Overhead\n\nGET /api/v2/users (2 points) against the recording upstream (a fixed ~300-byte JSON answer; it counts "+
		"every call and checks it carries the org token), five ways: directly with the org token; through a plain "+
		"`httputil.ReverseProxy` that only swaps the token (`bench plainproxy`, with the gateway's transport settings); through the "+
		"same plain proxy given a `BufferPool` for its copy buffers, as the gateway has (saturation and 1000 rps only: it shows what "+
		"the gateway's ratio owes to that one tuning); through the "+
		"gateway on the in-memory store; through the gateway on the Redis store (the configuration measured against the targets), "+
		"its budget far too large to bind: leases (`redis.leases`, on) let a busy replica admit and settle most calls without a script "+
		"call; the round-trip row below counts what is left. Both gateways log every request at info, to a file. Each target: %s warm-up, then %s measured%s. "+
		"%s%sSaturation is "+
		"closed-loop with %d requests in flight; fixed rates are open-loop (vegeta sends on schedule, so queueing shows in the latencies). "+
		"CPU is each process's user+system time from `/proc/<pid>/stat` over the run, divided by the calls answered.\n\n",
		o.warm, o.dur, o.tailNote(), o.turns(), o.stealNote(), o.workers)
	if o.rateNote != "" {
		fmt.Fprintf(b, "%s\n\n", o.rateNote)
	}
	b.WriteString("| target | load | answered/s | p50 | p99 | p99.9 | failed | proxy CPU µs/call | Redis CPU µs/call | upstream CPU µs/call | upstream saw | host steal |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range o.rows {
		proxyCPU, redisCPU := "—", "—"
		if r.target != targetDirect {
			proxyCPU = fmt.Sprintf("%.0f", r.perReq(r.proxyCPU))
		}
		if r.target == targetGateway || r.target == targetBeforeGateway {
			redisCPU = fmt.Sprintf("%.0f", r.perReq(r.redisCPU))
		}
		load := r.load
		if !r.sustained() {
			load += " (not sustained)"
		}
		fmt.Fprintf(b, "| %s | %s | %.0f | %s | %s | %s | %d | %s | %s | %.0f | %d | %s |\n", r.target, load, r.res.Throughput(),
			ms(r.res.Quantile(0.5)), ms(r.res.Quantile(0.99)), ms(r.res.Quantile(0.999)), r.res.Failures(), proxyCPU, redisCPU, r.perReq(r.upCPU), r.arrivals,
			machine.Percent(r.steal.Share()))
	}
	b.WriteString("\n")
	o.ownMarkdown(b)
	for _, p := range o.profiles {
		fmt.Fprintf(b, "CPU profile of the %s at saturation (%d in flight, %s; `go tool pprof -top -nodecount=10`, by flat then by cumulative time). "+
			"The profiled process is the gateway binary with `server.pprof: true`, profiled through its admin listener (`/debug/pprof/profile`) and run apart from the measured ones:\n\n```\n%s```\n\n",
			p.target, o.workers, o.dur, p.top)
	}
}

// ownMarkdown is where each gateway's time went at 1000 rps, by its access log.
func (o *overheadReport) ownMarkdown(b *strings.Builder) {
	var rows []*overheadRow
	for i := range o.rows {
		if r := &o.rows[i]; r.rate == 1000 && r.own != nil {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("Where each gateway's time went at 1000 rps, by its own access log (the calls it answered within the measured slices). " +
		"`upstream_duration` is the upstream exchange as the gateway saw it: from handing the call to its transport to the answer's headers. " +
		"The rest of `duration` is the gateway's own: authentication, routing, the budget, metrics, the log line, copying the answer, and any " +
		"wait for a CPU between them. Neither holds the hops between the load generator and the gateway, which the load generator's figures above do:\n\n")
	b.WriteString("| target | calls | own p50 | own p99 | own p99.9 | upstream exchange p50 | p99 | p99.9 |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", r.target, len(r.own.own),
			ms(r.own.ownQ(0.5)), ms(r.own.ownQ(0.99)), ms(r.own.ownQ(0.999)),
			ms(r.own.upstreamQ(0.5)), ms(r.own.upstreamQ(0.99)), ms(r.own.upstreamQ(0.999)))
	}
	b.WriteString("\n")
}
