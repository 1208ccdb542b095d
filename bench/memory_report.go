package main

import (
	"fmt"
	"strings"
)

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
