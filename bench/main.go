// Command bench measures the gateway on loopback and writes the results as markdown
// tables: overhead against the upstream called directly and against a plain
// httputil.ReverseProxy, a reject storm, budget fidelity across three replicas, and memory
// with many idle connections and waiting requests. It starts everything it measures
// itself (a private redis-server, the recording upstream, the plain proxy, gateway
// processes built from ./cmd/gateway) and stops it all when done.
//
//	go run ./bench -out BENCHMARKS.md     # what `make bench` runs (about 4 minutes)
//	go run ./bench -quick                 # seconds per scenario: a smoke test of the harness
//	go run ./bench -long -out BENCHMARKS.md   # 30 s runs, a 2-minute fidelity span (about 15 minutes)
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
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if runChild(os.Args[1:]) {
		return
	}
	out := flag.String("out", "", "write the markdown report to this file (default: standard output only)")
	quick := flag.Bool("quick", false, "short runs: check the harness works, not the numbers")
	long := flag.Bool("long", false, "long runs (about 15 minutes): steadier numbers")
	only := flag.String("only", "overhead,storm,fidelity,faults,memory,micro", "scenarios to run, comma-separated")
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
	started := time.Now()
	fdLimit := raiseFileLimit()
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
	rep := &report{machine: describeMachine(), command: commandLine(), started: started.UTC(), quick: quick}

	fmt.Println("building ./cmd/gateway")
	if b, err := exec.Command("go", "build", "-o", e.gateway, "./cmd/gateway").CombinedOutput(); err != nil {
		return fmt.Errorf("build the gateway: %v\n%s", err, b)
	}
	if baseline != "" {
		fmt.Println("building ./cmd/gateway at", baseline)
		if e.baseline, err = buildBaseline(dir, baseline); err != nil {
			return err
		}
		e.baselineRev = baseline
	}
	if e.redis, err = startRedis(dir); err != nil {
		return err
	}
	defer e.redis.stop(5 * time.Second)
	rep.machine.redis = e.redis.version()

	want := map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		want[strings.TrimSpace(s)] = true
	}
	section := func(name string, f func() error) {
		if !want[name] {
			return
		}
		fmt.Println(name)
		t := time.Now()
		if err := f(); err != nil {
			fmt.Fprintf(os.Stderr, "  %s failed: %v\n", name, err)
			rep.failures = append(rep.failures, fmt.Sprintf("%s: %v", name, err))
		}
		rep.took = append(rep.took, fmt.Sprintf("%s %s", name, time.Since(t).Round(time.Second)))
	}
	section("overhead", func() (err error) { rep.overhead, err = e.runOverhead(); return })
	section("storm", func() (err error) { rep.storm, err = e.runStorm(); return })
	section("fidelity", func() (err error) { rep.fidelity, err = e.runFidelity(); return })
	section("faults", func() (err error) { rep.faults, err = e.runFaults(); return })
	section("memory", func() (err error) { rep.memory, err = e.runMemory(fdLimit); return })
	section("micro", func() (err error) { rep.microCmd, rep.micro, err = microBenchmarks(quick); return })
	rep.elapsed = time.Since(started)

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

// microBenchmarks runs the packages' own go test benchmarks (the budget decision, the
// route lookup, one forwarded read through the whole pipeline with tracing off and on)
// and returns their result lines.
func microBenchmarks(quick bool) (command, out string, err error) {
	benchtime := "2s"
	if quick {
		benchtime = "100ms"
	}
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchtime", benchtime, "./internal/budget", "./internal/routes", "./internal/proxy"}
	command = "go test -run '^$' -bench . -benchtime " + benchtime + " ./internal/budget ./internal/routes ./internal/proxy"
	b, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return command, "", fmt.Errorf("go test -bench: %v\n%s", err, b)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "pkg:") {
			lines = append(lines, l)
		}
	}
	return command, strings.Join(lines, "\n"), nil
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

// buildBaseline builds ./cmd/gateway as it was at rev (git archive into the work
// directory; the module cache serves its dependencies) and returns the binary's path.
func buildBaseline(dir, rev string) (string, error) {
	src := filepath.Join(dir, "baseline-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	archive := exec.Command("git", "archive", rev)
	untar := exec.Command("tar", "-x", "-C", src)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return "", err
	}
	untar.Stdin = pipe
	var stderr strings.Builder
	archive.Stderr = &stderr
	if err := untar.Start(); err != nil {
		return "", err
	}
	if err := archive.Run(); err != nil {
		_ = untar.Wait()
		return "", fmt.Errorf("git archive %s: %v\n%s", rev, err, stderr.String())
	}
	if err := untar.Wait(); err != nil {
		return "", fmt.Errorf("untar %s: %w", rev, err)
	}
	bin := filepath.Join(dir, "gateway-baseline")
	build := exec.Command("go", "build", "-o", bin, "./cmd/gateway")
	build.Dir = src
	if b, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the gateway at %s: %v\n%s", rev, err, b)
	}
	return bin, nil
}
