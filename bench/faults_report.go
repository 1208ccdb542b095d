package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

func faultsMarkdown(b *strings.Builder, runs []*faultReport) {
	b.WriteString("\n## Faults\n\n")
	b.WriteString("Gateway processes in front of the simulated Retool API (300 points per sliding 3 s window — Retool's 60 s scaled down — " +
		"429 and a lockout when exceeded, answers after 1–30 ms), each fault on a private redis-server. 150 callers, a third each " +
		"making 2-, 5- and 10-point calls, one call at a time, honouring Retry-After (less up to 1 s of jitter); `max_wait: 2s`. " +
		"\"Slowest caller\" is the longest any call took at the caller, whatever its answer. " +
		"Targets (issue 14): a frozen Redis holds no caller past `max_wait` + `redis.timeout` + 0.5 s (2.75 s); a lone replica whose Redis is " +
		"down still charges ≥ 80% of capacity per window; never more than capacity in a window, never an upstream 429, no 5xx.\n\n")
	b.WriteString("| fault | replicas | timeouts | slowest caller | max points in any window | upstream 429s | answers at the callers | charged per window during the fault | notes |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		var st []string
		for _, code := range slices.Sorted(maps.Keys(r.statuses)) {
			st = append(st, fmt.Sprintf("%d: %d", code, r.statuses[code]))
		}
		per := "—"
		if len(r.perWindow) > 0 {
			parts := make([]string, len(r.perWindow))
			for i, u := range r.perWindow {
				parts[i] = fmt.Sprintf("%.2f", u)
			}
			per = strings.Join(parts, ", ")
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %d / %d | %d | %s | %s | %s |\n", r.fault, r.replicas, r.timeouts, ms(r.maxElapsed),
			r.maxPoints, r.capacity, r.upstream429, strings.Join(st, ", "), per, r.note)
	}
}

// faultsHeadline adds the faults' targets to the headline table.
func faultsHeadline(b *strings.Builder, runs []*faultReport) {
	for _, r := range runs {
		fives := 0
		for code, n := range r.statuses {
			if code >= 500 || code == 0 {
				fives += n
			}
		}
		ok := r.maxPoints <= r.capacity && r.upstream429 == 0
		switch r.name {
		case "freeze":
			bound := r.maxWait + 250*time.Millisecond + 500*time.Millisecond
			fmt.Fprintf(b, "| %s, 3 replicas: slowest caller | ≤ %s | %s | %s |\n", r.fault, ms(bound), ms(r.maxElapsed), verdict(r.maxElapsed <= bound))
			fmt.Fprintf(b, "| %s: max points in a window, upstream 429s, 5xx | ≤ %d, 0, 0 | %d, %d, %d | %s |\n", r.fault, r.capacity, r.maxPoints, r.upstream429, fives, verdict(ok && fives == 0))
		case "lone":
			least := 1.0
			for _, u := range r.perWindow {
				least = min(least, u)
			}
			fmt.Fprintf(b, "| %s: least charged in a window while down | ≥ 0.80 | %.2f | %s |\n", r.fault, least, verdict(least >= 0.8))
			fmt.Fprintf(b, "| %s: max points in a window, upstream 429s | ≤ %d, 0 | %d, %d | %s |\n", r.fault, r.capacity, r.maxPoints, r.upstream429, verdict(ok))
		case "partition":
			fmt.Fprintf(b, "| %s: max points in a window, upstream 429s; calls the cut-off replica served alone | ≤ %d, 0; > 0 | %d, %d; %d | %s |\n",
				r.fault, r.capacity, r.maxPoints, r.upstream429, r.alone, verdict(ok && r.alone > 0))
		}
	}
}
