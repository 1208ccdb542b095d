// Package machine describes the machine a benchmark ran on, for the report's header:
// CPUs and their model, memory, kernel, Go version and the load average at the start,
// read from /proc; and the machine's CPU time counters, so that a run can say how much
// of it the host took for others (steal).
//
// It only reads; a value it cannot read is "?", never an error, and it never measures
// anything itself.
package machine

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine is what the report's header says about where the numbers came from.
type Machine struct {
	CPUs    int
	Model   string
	Memory  string
	Kernel  string
	GoVer   string
	Redis   string // the Redis server's version; the harness fills it in
	LoadAvg string
}

// Describe reads this machine.
func Describe() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVer: runtime.Version(), Model: "?", Memory: "?", Kernel: "?", LoadAvg: "?"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.Model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return m
}

// Ticks is the machine's CPU time so far, all CPUs together, from the first line of
// /proc/stat, in clock ticks: in all, and of that the steal, which is time a virtual
// CPU wanted to run and the hypervisor ran something else. A shared host that does so
// stalls whatever this machine was doing for that time: every process, every hop.
type Ticks struct {
	Steal, Total uint64
	ok           bool
}

// ReadTicks reads the counters now; a machine without /proc/stat gives Ticks that
// StealShare reports as unknown.
func ReadTicks() Ticks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Ticks{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseTicks(line)
}

// parseTicks reads the aggregate "cpu" line: user nice system idle iowait irq softirq
// steal guest guest_nice. Guest time is already inside user and nice, so it is not
// added again; a kernel too old to report steal gives unknown Ticks.
func parseTicks(line string) Ticks {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return Ticks{}
	}
	var t Ticks
	for i, v := range f[1:9] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return Ticks{}
		}
		t.Total += n
		if i == 7 {
			t.Steal = n
		}
	}
	t.ok = true
	return t
}

// StealShare is the part of the machine's CPU time between a and b that the host took
// (0 to 1), the figure top shows as "st"; -1 when it is unknown.
func StealShare(a, b Ticks) float64 { return b.Sub(a).Share() }

// Sub is the ticks from a to t; unknown if either is, or the counters went back.
func (t Ticks) Sub(a Ticks) Ticks {
	if !t.ok || !a.ok || t.Total < a.Total || t.Steal < a.Steal {
		return Ticks{}
	}
	return Ticks{Steal: t.Steal - a.Steal, Total: t.Total - a.Total, ok: true}
}

// Add sums two spans of ticks (from Sub); unknown if either is.
func (t Ticks) Add(u Ticks) Ticks {
	if !t.ok || !u.ok {
		return Ticks{}
	}
	return Ticks{Steal: t.Steal + u.Steal, Total: t.Total + u.Total, ok: true}
}

// Share is the steal share of a span of ticks (from Sub or Add); -1 when unknown.
func (t Ticks) Share() float64 {
	if !t.ok || t.Total == 0 {
		return -1
	}
	return float64(t.Steal) / float64(t.Total)
}

// Percent formats a steal share for a report: "2.4%", or "?" when unknown.
func Percent(share float64) string {
	if share < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f%%", 100*share)
}
