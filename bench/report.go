package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

type machine struct {
	cpus    int
	model   string
	memory  string
	kernel  string
	goVer   string
	redis   string
	loadAvg string
}

func describeMachine() machine {
	m := machine{cpus: runtime.NumCPU(), goVer: runtime.Version(), model: "?", memory: "?", kernel: "?", loadAvg: "?"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.loadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return m
}

type report struct {
	machine  machine
	command  string
	started  time.Time
	elapsed  time.Duration
	quick    bool
	took     []string
	failures []string
	overhead *overheadReport
	storm    *stormReport
	fidelity []*fidelityReport
	memory   *memoryReport
	faults   []*faultReport
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
	fmt.Fprintf(&b, "- **Machine**: `nproc` %d, %s, %s RAM, Linux %s, %s, Redis %s; load average at start %s\n", m.cpus, m.model, m.memory, m.kernel, m.goVer, m.redis, m.loadAvg)
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
			ratio := gw.res.throughput() / plain.res.throughput()
			fmt.Fprintf(b, "| saturated throughput, gateway (Redis store) ÷ plain proxy | ≥ 0.80 | %.2f (%.0f ÷ %.0f rps) | %s |\n",
				ratio, gw.res.throughput(), plain.res.throughput(), verdict(ratio >= 0.8))
			m := o.find(targetMemory, 0)
			if m != nil {
				mr := m.res.throughput() / plain.res.throughput()
				fmt.Fprintf(b, "| the same, gateway on the memory store | ≥ 0.95 | %.2f (%.0f rps) | %s |\n",
					mr, m.res.throughput(), verdict(mr >= 0.95))
			}
			for _, target := range []string{targetBeforeGateway, targetBeforeMemory} {
				if bf := o.find(target, 0); bf != nil {
					fmt.Fprintf(b, "| the same, %s built from `%s` (before) | — | %.2f (%.0f rps) | — |\n",
						strings.TrimPrefix(target, "gateway before, "), o.baselineRev, bf.res.throughput()/plain.res.throughput(), bf.res.throughput())
				}
			}
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
			added := gw1k.res.quantile(0.99) - direct.res.quantile(0.99)
			fmt.Fprintf(b, "| p99 added latency at 1000 rps (gateway p99 − direct p99) | < 1 ms | %s (%s − %s) | %s |\n",
				ms(added), ms(gw1k.res.quantile(0.99)), ms(direct.res.quantile(0.99)), verdict(added < time.Millisecond))
			if p := o.find(targetPlain, 1000); p != nil {
				fmt.Fprintf(b, "| the same for the plain proxy, for scale | — | %s | — |\n", ms(p.res.quantile(0.99)-direct.res.quantile(0.99)))
			}
			if bf := o.find(targetBeforeGateway, 1000); bf != nil {
				fmt.Fprintf(b, "| the same for the Redis-store gateway built from `%s` (before) | — | %s | — |\n", o.baselineRev, ms(bf.res.quantile(0.99)-direct.res.quantile(0.99)))
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

func (o *overheadReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "## Overhead\n\nGET /api/v2/users (2 points) against the recording upstream (a fixed ~300-byte JSON answer; it counts "+
		"every call and checks it carries the org token), four ways: directly with the org token; through a plain "+
		"`httputil.ReverseProxy` that only swaps the token (`bench plainproxy`, with the gateway's transport settings); through the "+
		"gateway on the in-memory store; through the gateway on the Redis store (the configuration measured against the targets), "+
		"its budget far too large to bind, so every call runs the take script before it is forwarded and the settle script when the "+
		"answer arrives. Both gateways log every request at info, to a file. Each run: %s warm-up, then %s measured. Saturation is "+
		"closed-loop with %d requests in flight; fixed rates are open-loop (vegeta sends on schedule, so queueing shows in the latencies). "+
		"CPU is each process's user+system time from `/proc/<pid>/stat` over the run, divided by the calls answered.\n\n", o.warm, o.dur, o.workers)
	if o.rateNote != "" {
		fmt.Fprintf(b, "%s\n\n", o.rateNote)
	}
	b.WriteString("| target | load | answered/s | p50 | p99 | p99.9 | failed | proxy CPU µs/call | Redis CPU µs/call | upstream CPU µs/call | upstream saw |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
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
		fmt.Fprintf(b, "| %s | %s | %.0f | %s | %s | %s | %d | %s | %s | %.0f | %d |\n", r.target, load, r.res.throughput(),
			ms(r.res.quantile(0.5)), ms(r.res.quantile(0.99)), ms(r.res.quantile(0.999)), r.res.failures(), proxyCPU, redisCPU, r.perReq(r.upCPU), r.arrivals)
	}
	b.WriteString("\n")
	for _, p := range o.profiles {
		fmt.Fprintf(b, "CPU profile of the %s at saturation (%d in flight, %s; `go tool pprof -top -nodecount=10`, by flat then by cumulative time). "+
			"The profiled process is the same app built into the harness (`bench profgateway`), run apart from the measured ones:\n\n```\n%s```\n\n",
			p.target, o.workers, o.dur, p.top)
	}
}

func (s *stormReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "## Reject storm\n\nOne caller, 10-point budget per minute, spent by five 2-point calls and one more call refused; then %d requests in flight "+
		"for %s against a `max_wait: 0s` budget. Redis commands come from `INFO commandstats` before and after; the idle span, as long "+
		"and with no traffic, shows what the replica's background sync and key-version poll cost on their own.\n\n", saturationWorkers, s.dur)
	b.WriteString("| rejections | rejections/s | p50 | p99 | other answers | reached upstream | Redis commands (storm) | Redis commands (idle) | per rejection, net | gateway CPU µs/rejection |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	net := max(s.total-s.idleCommands, 0)
	fmt.Fprintf(b, "| %d | %.0f | %s | %s | %d | %d | %d | %d | %.5f | %.1f |\n\n", s.rejections(), s.res.throughput(),
		ms(s.res.quantile(0.5)), ms(s.res.quantile(0.99)), s.res.failures(), s.arrivals, s.total, s.idleCommands,
		s.perRejection(net), float64(s.gatewayCPU.Microseconds())/math.Max(float64(s.rejections()), 1))
	fmt.Fprintf(b, "Redis commands by name (those that scripts run count too), during the storm: %s; idle: %s.\n\n", commandList(s.commands), commandList(s.idleByName))
}

func commandList(m map[string]int64) string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, m[n]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

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
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s |\n", f.maxWait, len(f.waits), ms(quantile(f.waits, 0.5)), ms(quantile(f.waits, 0.9)), ms(quantile(f.waits, 0.99)), ms(quantile(f.waits, 1)))
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
	var codes []int
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
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

func perConnKiB(base, p memPoint) float64 {
	if p.conns == base.conns {
		return 0
	}
	return float64(p.rss-base.rss) / 1024 / float64(p.conns-base.conns)
}

func (m *memoryReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "## Memory\n\nResident set size (`VmRSS` from `/proc/<pid>/status`) of the gateway process (`gateway serve`, Redis store), "+
		"a second after the connections were opened. Idle connections each carried one call through the gateway and stay open "+
		"(HTTP/1.1 keep-alive). Descriptor limit (`ulimit -n`, raised to the hard limit): %d.\n\n", m.fdLimit)
	b.WriteString("| state | connections | RSS | per connection over the baseline | goroutines |\n|---|---|---|---|---|\n")
	for i, p := range m.idle {
		if i == 0 {
			fmt.Fprintf(b, "| baseline (after 1 s of traffic) | 0 | %.1f MiB | | %.0f |\n", mib(p.rss), p.goroutines)
			continue
		}
		fmt.Fprintf(b, "| idle keep-alive | %d | %.1f MiB | %.1f KiB | %.0f |\n", p.conns, mib(p.rss), perConnKiB(m.idle[0], p), p.goroutines)
	}
	if m.waiting.conns > 0 {
		fmt.Fprintf(b, "| second gateway, budget spent (baseline) | 0 | %.1f MiB | | %.0f |\n", mib(m.waitBase.rss), m.waitBase.goroutines)
		fmt.Fprintf(b, "| waiting for points | %d | %.1f MiB | %.1f KiB | %.0f |\n", m.waiting.conns, mib(m.waiting.rss), perConnKiB(m.waitBase, m.waiting), m.waiting.goroutines)
		fmt.Fprintf(b, "\nOn SIGTERM, %d of the %d waiting requests were released with 503 `draining`.\n", m.released503, m.waitWant)
	}
	b.WriteString("\n")
}
