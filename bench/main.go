// Command bench measures the gateway on loopback and writes the results as markdown
// tables: overhead against the upstream called directly and against a plain
// httputil.ReverseProxy, a reject storm, budget fidelity across three replicas, and memory
// with many idle connections and waiting requests. It starts everything it measures
// itself (a private redis-server, the recording upstream, the plain proxy, gateway
// processes built from ./cmd/gateway) and stops it all when done.
//
//	go run ./bench -out BENCHMARKS.md     # what `make bench` runs (about 8 minutes)
//	go run ./bench -quick                 # seconds per scenario: a smoke test of the harness
//	go run ./bench -long -out BENCHMARKS.md   # 30 s runs, a 2-minute fidelity span (about 23 minutes)
//
// Run it from the module root. Numbers are written down, never asserted: a slow machine
// produces a slower table, not a failure.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/budgetgw/gateway/bench/internal/gotool"
	"github.com/budgetgw/gateway/bench/internal/machine"
	"github.com/budgetgw/gateway/bench/internal/proc"
	"github.com/budgetgw/gateway/bench/internal/redisserver"
)

func main() {
	if runChild(os.Args[1:]) {
		return
	}
	out := flag.String("out", "", "write the markdown report to this file (default: standard output only)")
	quick := flag.Bool("quick", false, "short runs: check the harness works, not the numbers")
	long := flag.Bool("long", false, "long runs (about 23 minutes, more while the host steals CPU time): steadier numbers")
	only := flag.String("only", "overhead,storm,fidelity,faults,overload,memory,micro", "scenarios to run, comma-separated")
	keep := flag.Bool("keep", false, "keep the work directory (configs, logs) for inspection")
	baseline := flag.String("baseline", "", "also measure the gateway built from this git revision (before/after in one run)")
	flag.Parse()
	if *quick && *long {
		fmt.Fprintln(os.Stderr, "bench: -quick and -long exclude each other")
		os.Exit(2)
	}
	if err := run(*out, *quick, *long, *only, *keep, *baseline); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(out string, quick, long bool, only string, keep bool, baseline string) error {
	if _, err := os.Stat("go.mod"); err != nil {
		return fmt.Errorf("run from the module root (no go.mod here)")
	}
	started, startTicks := time.Now(), machine.ReadTicks()
	fdLimit := proc.RaiseFileLimit()
	dir, err := os.MkdirTemp("", "gwbench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("work directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	e := &env{dir: dir, self: self, gateway: filepath.Join(dir, "gateway"), orgToken: "retool_org_" + randomHex(16), quick: quick, long: long}
	rep := &report{machine: machine.Describe(), command: commandLine(), started: started.UTC(), quick: quick}

	fmt.Println("building ./cmd/gateway")
	if err := gotool.BuildGateway(e.gateway); err != nil {
		return err
	}
	if baseline != "" {
		fmt.Println("building ./cmd/gateway at", baseline)
		if e.baseline, err = gotool.BuildGatewayAt(dir, baseline); err != nil {
			return err
		}
		e.baselineRev = baseline
	}
	if e.redis, err = redisserver.Start(dir); err != nil {
		return err
	}
	defer e.redis.Stop(5 * time.Second)
	rep.machine.Redis = e.redis.Version()

	want := map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		want[strings.TrimSpace(s)] = true
	}
	section := func(name string, f func() error) {
		if !want[name] {
			return
		}
		fmt.Println(name)
		t, ticks := time.Now(), machine.ReadTicks()
		if err := f(); err != nil {
			fmt.Fprintf(os.Stderr, "  %s failed: %v\n", name, err)
			rep.failures = append(rep.failures, fmt.Sprintf("%s: %v", name, err))
		}
		rep.took = append(rep.took, fmt.Sprintf("%s %s (%s stolen)", name, time.Since(t).Round(time.Second),
			machine.Percent(machine.StealShare(ticks, machine.ReadTicks()))))
	}
	section("overhead", func() (err error) { rep.overhead, err = e.runOverhead(); return })
	section("storm", func() (err error) { rep.storm, err = e.runStorm(); return })
	section("fidelity", func() (err error) { rep.fidelity, err = e.runFidelity(); return })
	section("faults", func() (err error) { rep.faults, err = e.runFaults(); return })
	section("overload", func() (err error) { rep.overload, err = e.runOverload(); return })
	section("memory", func() (err error) { rep.memory, err = e.runMemory(fdLimit); return })
	section("micro", func() (err error) { rep.microCmd, rep.micro, err = gotool.MicroBenchmarks(quick); return })
	rep.elapsed, rep.steal = time.Since(started), machine.StealShare(startTicks, machine.ReadTicks())

	text := rep.markdown()
	fmt.Println()
	fmt.Print(text)
	if out != "" {
		if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
			return err
		}
		fmt.Printf("\nwrote %s in %s\n", out, rep.elapsed.Round(time.Second))
	}
	if len(rep.failures) > 0 {
		return fmt.Errorf("%d scenario(s) failed: %s", len(rep.failures), strings.Join(rep.failures, "; "))
	}
	return nil
}

func commandLine() string {
	args := append([]string{"go run ./bench"}, os.Args[1:]...)
	return strings.Join(args, " ")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
