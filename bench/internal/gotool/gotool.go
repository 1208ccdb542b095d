// Package gotool is the harness's use of the go command: it builds the gateway binary
// (from the working tree, or from a git revision for a before/after run) and runs the
// packages' own micro-benchmarks.
//
// It must be run from the module root; it never changes the working tree or the
// repository (a revision is exported with git archive into the work directory, never
// checked out), and it writes only the paths it is given.
package gotool

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildGateway builds ./cmd/gateway from the working tree into bin.
func BuildGateway(bin string) error {
	if b, err := exec.Command("go", "build", "-o", bin, "./cmd/gateway").CombinedOutput(); err != nil {
		return fmt.Errorf("build the gateway: %v\n%s", err, b)
	}
	return nil
}

// BuildGatewayAt builds ./cmd/gateway as it was at rev (git archive into the work
// directory; the module cache serves its dependencies) and returns the binary's path.
func BuildGatewayAt(dir, rev string) (string, error) {
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

// MicroBenchmarks runs the packages' own go test benchmarks (the budget decision, the
// route lookup, one forwarded read through the whole pipeline with tracing off and on)
// and returns their result lines.
func MicroBenchmarks(quick bool) (command, out string, err error) {
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
