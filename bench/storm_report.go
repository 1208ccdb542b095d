package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

func (s *stormReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "## Reject storm\n\nOne caller, 10-point budget per minute, spent by five 2-point calls and one more call refused; then %d requests in flight "+
		"for %s against a `max_wait: 0s` budget. Redis commands come from `INFO commandstats` before and after; the idle span, as long "+
		"and with no traffic, shows what the replica's background sync and key-version poll cost on their own.\n\n", saturationWorkers, s.dur)
	b.WriteString("| rejections | rejections/s | p50 | p99 | other answers | reached upstream | Redis commands (storm) | Redis commands (idle) | per rejection, net | gateway CPU µs/rejection |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	net := max(s.total-s.idleCommands, 0)
	fmt.Fprintf(b, "| %d | %.0f | %s | %s | %d | %d | %d | %d | %.5f | %.1f |\n\n", s.rejections(), s.res.Throughput(),
		ms(s.res.Quantile(0.5)), ms(s.res.Quantile(0.99)), s.res.Failures(), s.arrivals, s.total, s.idleCommands,
		s.perRejection(net), float64(s.gatewayCPU.Microseconds())/math.Max(float64(s.rejections()), 1))
	fmt.Fprintf(b, "Redis commands by name (those that scripts run count too), during the storm: %s; idle: %s.\n\n", commandList(s.commands), commandList(s.idleByName))
}

func commandList(m map[string]int64) string {
	names := slices.Sorted(maps.Keys(m))
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, m[n]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
