package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/budgetgw/gateway/bench/internal/machine"
)

type report struct {
	machine  machine.Machine
	command  string
	started  time.Time
	elapsed  time.Duration
	steal    float64 // the share of the machine's CPU time the host took over the run; -1 unknown
	quick    bool
	took     []string
	failures []string
	overhead *overheadReport
	storm    *stormReport
	fidelity []*fidelityReport
	memory   *memoryReport
	faults   []*faultReport
	overload *overloadReport
	micro    string
	microCmd string
}

func (r *report) markdown() string {
	var b strings.Builder
	m := r.machine
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Written by `make bench` (the harness in [`bench/`](bench/README.md)); edit the harness, not this file.\n\n")
	fmt.Fprintf(&b, "- **Date**: %s (the run took %s: %s)\n", r.started.Format("2006-01-02 15:04 MST"), r.elapsed.Round(time.Second), strings.Join(r.took, ", "))
	fmt.Fprintf(&b, "- **Command**: `%s`\n", r.command)
	fmt.Fprintf(&b, "- **Machine**: `nproc` %d, %s, %s RAM, Linux %s, %s, Redis %s; load average at start %s\n", m.CPUs, m.Model, m.Memory, m.Kernel, m.GoVer, m.Redis, m.LoadAvg)
	fmt.Fprintf(&b, "- **Host steal**: %s of the machine's CPU time over the run (per scenario above). Steal (`/proc/stat`) is "+
		"time this virtual machine's CPUs wanted to run while the host ran something else; it stalls every process and hop at once, "+
		"and it is one reason this machine's numbers vary from run to run (not the only one: runs without it differ too).\n", machine.Percent(r.steal))
	b.WriteString("- Everything runs on this one machine over loopback: the load generator (vegeta, as a library), the upstream, " +
		"the proxies and Redis share its cores. Read the numbers side by side; they are not a capacity plan. No test asserts them.\n")
	if r.quick {
		b.WriteString("- **Quick mode** (`-quick`): runs of a few seconds; the numbers only show that the harness works.\n")
	}
	for _, f := range r.failures {
		fmt.Fprintf(&b, "- **Failed**: %s\n", f)
	}
	b.WriteString("\n## Headline\n\n")
	r.headline(&b)
	if r.overhead != nil {
		r.overhead.markdown(&b)
	}
	if r.storm != nil {
		r.storm.markdown(&b)
	}
	if len(r.fidelity) > 0 {
		fidelityMarkdown(&b, r.fidelity)
	}
	if r.memory != nil {
		r.memory.markdown(&b)
	}
	if len(r.faults) > 0 {
		faultsMarkdown(&b, r.faults)
	}
	if r.overload != nil {
		r.overload.markdown(&b)
	}
	if r.micro != "" {
		fmt.Fprintf(&b, "\n## Micro-benchmarks\n\n`%s`:\n\n```\n", r.microCmd)
		b.WriteString(r.micro)
		b.WriteString("\n```\n")
	}
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return "meets"
	}
	return "**misses**"
}

func (r *report) headline(b *strings.Builder) {
	b.WriteString("| measure | target | measured | verdict |\n|---|---|---|---|\n")
	if o := r.overhead; o != nil {
		plain, gw := o.find(targetPlain, 0), o.find(targetGateway, 0)
		if plain != nil && gw != nil {
			ratio := gw.res.Throughput() / plain.res.Throughput()
			fmt.Fprintf(b, "| saturated throughput, gateway (Redis store) ÷ plain proxy | ≥ 0.80 | %.2f (%.0f ÷ %.0f rps) | %s |\n",
				ratio, gw.res.Throughput(), plain.res.Throughput(), verdict(ratio >= 0.8))
			m := o.find(targetMemory, 0)
			if m != nil {
				mr := m.res.Throughput() / plain.res.Throughput()
				fmt.Fprintf(b, "| the same, gateway on the memory store | ≥ 0.95 | %.2f (%.0f rps) | %s |\n",
					mr, m.res.Throughput(), verdict(mr >= 0.95))
			}
			if pp := o.find(targetPlainPooled, 0); pp != nil && m != nil {
				fmt.Fprintf(b, "| the same, Redis and memory store ÷ a plain proxy that pools its copy buffers as the gateway does | — | %.2f, %.2f (%.0f rps) | — |\n",
					gw.res.Throughput()/pp.res.Throughput(), m.res.Throughput()/pp.res.Throughput(), pp.res.Throughput())
			}
			for _, target := range []string{targetBeforeGateway, targetBeforeMemory} {
				if bf := o.find(target, 0); bf != nil {
					fmt.Fprintf(b, "| the same, %s built from `%s` (before) | — | %.2f (%.0f rps) | — |\n",
						strings.TrimPrefix(target, "gateway before, "), o.baselineRev, bf.res.Throughput()/plain.res.Throughput(), bf.res.Throughput())
				}
			}
			fmt.Fprintf(b, "| host steal while those were measured: plain proxy, memory store, Redis store (share of the machine's CPU time) | — | %s | — |\n",
				o.steals(0, targetPlain, targetMemory, targetGateway))
			if m != nil {
				fmt.Fprintf(b, "| CPU per call at saturation: gateway (memory, Redis) vs plain proxy | — | %.0f µs, %.0f µs vs %.0f µs%s | — |\n",
					m.perReq(m.proxyCPU), gw.perReq(gw.proxyCPU), plain.perReq(plain.proxyCPU), o.beforeCPU())
			}
			if gw.arrivals > 0 {
				per := float64(gw.scripts) / float64(gw.arrivals)
				fmt.Fprintf(b, "| Redis script calls (round trips) per admitted call at %d in flight (`INFO commandstats`, background sync included) | ≤ 0.5 | %.2f (%d for %d calls) | %s |\n",
					o.workers, per, gw.scripts, gw.arrivals, verdict(per <= 0.5))
				fmt.Fprintf(b, "| the same, counting every command the scripts run | — | %.1f (%d) | — |\n",
					float64(gw.redisCmd)/float64(gw.arrivals), gw.redisCmd)
			}
		}
		direct, gw1k := o.find(targetDirect, 1000), o.find(targetGateway, 1000)
		if direct != nil && gw1k != nil {
			added := gw1k.res.Quantile(0.99) - direct.res.Quantile(0.99)
			fmt.Fprintf(b, "| p99 added latency at 1000 rps (gateway p99 − direct p99) | < 1 ms | %s (%s − %s) | %s |\n",
				ms(added), ms(gw1k.res.Quantile(0.99)), ms(direct.res.Quantile(0.99)), verdict(added < time.Millisecond))
			p := o.find(targetPlain, 1000)
			if p != nil {
				fmt.Fprintf(b, "| the same for the plain proxy, for scale | — | %s | — |\n", ms(p.res.Quantile(0.99)-direct.res.Quantile(0.99)))
			}
			if bf := o.find(targetBeforeGateway, 1000); bf != nil {
				fmt.Fprintf(b, "| the same for the Redis-store gateway built from `%s` (before) | — | %s | — |\n", o.baselineRev, ms(bf.res.Quantile(0.99)-direct.res.Quantile(0.99)))
			}
			fmt.Fprintf(b, "| host steal while those p99s were measured: direct, plain proxy, gateway | — | %s | — |\n",
				o.steals(1000, targetDirect, targetPlain, targetGateway))
			if p != nil {
				fmt.Fprintf(b, "| what the gateway adds to the plain proxy at 1000 rps: p50, p99 (gateway − plain proxy) | — | %s, %s | — |\n",
					ms(gw1k.res.Quantile(0.5)-p.res.Quantile(0.5)), ms(gw1k.res.Quantile(0.99)-p.res.Quantile(0.99)))
			}
			if own := gw1k.own; own != nil {
				fmt.Fprintf(b, "| the gateway's own time per call at 1000 rps, p50, p99 (its access log: `duration` − `upstream_duration`) | — | %s, %s | — |\n",
					ms(own.ownQ(0.5)), ms(own.ownQ(0.99)))
			}
		}
	}
	if s := r.storm; s != nil {
		net := max(s.total-s.idleCommands, 0)
		fmt.Fprintf(b, "| Redis commands per rejected request (reject storm) | 0 | %.5f (%d during %d rejections; %d in an idle span as long) | %s |\n",
			s.perRejection(net), s.total, s.rejections(), s.idleCommands, verdict(s.perRejection(net) < 0.001))
	}
	for _, f := range r.fidelity {
		run := fmt.Sprintf("3 replicas, 300 callers, `max_wait: %s`", f.maxWait)
		fmt.Fprintf(b, "| max points in any %s window (%s; the upstream's log) | ≤ %d | %d | %s |\n", f.window, run, f.capacity, f.maxPoints, verdict(f.maxPoints <= f.capacity))
		fmt.Fprintf(b, "| utilisation of the budget (%s) | ≥ 0.97 | %.3f | %s |\n", run, f.utilisation, verdict(f.utilisation >= 0.97))
		fmt.Fprintf(b, "| upstream 429s (%s) | 0 | %d | %s |\n", run, f.upstream429, verdict(f.upstream429 == 0))
	}
	faultsHeadline(b, r.faults)
	if m := r.memory; m != nil && len(m.idle) > 1 {
		last := m.idle[len(m.idle)-1]
		fmt.Fprintf(b, "| gateway RSS with %d idle keep-alive connections | reported | %.1f MiB (%.1f KiB per connection) | — |\n",
			last.conns, mib(last.rss), perConnKiB(m.idle[0], last))
	}
	b.WriteString("\n")
}
