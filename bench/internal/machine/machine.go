// Package machine describes the machine a benchmark ran on, for the report's header:
// CPUs and their model, memory, kernel, Go version and the load average at the start,
// read from /proc.
//
// It only reads; a value it cannot read is "?", never an error, and it never measures
// anything itself.
package machine

import (
	"fmt"
	"os"
	"runtime"
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
