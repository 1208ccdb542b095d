package main

import (
	"fmt"
	"strings"
	"time"
)

func (o *overloadReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "## Overload\n\nThe Redis store when the gateway runs short of CPU (default `redis.timeout`, 250 ms). "+
		"**Held connections:** %d requests always in flight for %s, distinct reads, a budget far too large to bind. "+
		"**Freeze under load:** %d in flight for %s against a 10 s window (every call counted for about 12 s, so the journal "+
		"holds tens of thousands of calls); Redis frozen (SIGSTOP) for %s after %s. \"Breaker opened\" counts the "+
		"`budget store unreachable` log lines; \"back after\" is from Redis resuming to `budget store answers again`.\n\n",
		heldWorkers, o.heldDur, freezeWorkers, o.freezeDur, freezeFor, o.freezeAt)
	b.WriteString("| held connections | answers/s | ÷ plain proxy | other answers | p50 | p99 | slowest | breaker opened |\n|---|---|---|---|---|---|---|---|\n")
	var plain float64
	for _, r := range o.held {
		if r.target == targetPlain {
			plain = r.res.Throughput()
		}
		ratio := "—"
		if plain > 0 && r.target != targetPlain {
			ratio = fmt.Sprintf("%.2f", r.res.Throughput()/plain)
		}
		opened := fmt.Sprint(r.opened)
		if r.target == targetPlain {
			opened = "—"
		}
		fmt.Fprintf(b, "| %s | %.0f | %s | %d | %s | %s | %s | %s |\n", r.target, r.res.Throughput(), ratio, r.res.Failures(),
			ms(r.res.Quantile(0.5)), ms(r.res.Quantile(0.99)), ms(r.res.Quantile(1)), opened)
	}
	b.WriteString("\n| freeze under load | answers/s | other answers | p99 | slowest | breaker opened | back after |\n|---|---|---|---|---|---|---|\n")
	for _, r := range o.freeze {
		back := "never (while loaded)"
		if r.back >= 0 {
			back = r.back.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(b, "| %s | %.0f | %d | %s | %s | %d | %s |\n", r.target, r.res.Throughput(), r.res.Failures(),
			ms(r.res.Quantile(0.99)), ms(r.res.Quantile(1)), r.opened, back)
	}
	b.WriteString("\n")
}
