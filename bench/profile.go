package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/budgetgw/gateway/bench/internal/load"
)

// profileGateway runs the gateway described by s with its profiler on (server.pprof),
// puts it at saturation for dur (after warm) while /debug/pprof/profile on its admin
// listener records, and returns pprof's top-10 (by flat and by cumulative CPU) for it.
func (e *env) profileGateway(s gatewaySpec, dur, warm time.Duration) (string, error) {
	s.pprof = true
	g, err := e.startGateway(s)
	if err != nil {
		return "", err
	}
	defer g.Stop(10 * time.Second)
	cl := s.callers[0]
	spec := load.Spec{URL: g.url + "/api/v2/users", Header: bearer(cl.key), Workers: saturationWorkers, Dur: warm}
	load.Attack(spec, 200)
	profPath := filepath.Join(e.dir, s.name+".pprof")
	secs := max(int(dur.Round(time.Second)/time.Second), 1)
	fetched := make(chan error, 1)
	go func() { fetched <- fetchProfile(g.admin+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), profPath) }()
	spec.Dur = time.Duration(secs) * time.Second
	res := load.Attack(spec, 200)
	if err := <-fetched; err != nil {
		return "", err
	}
	var top strings.Builder
	fmt.Fprintf(&top, "%.0f answered/s while profiled (profiling costs a few per cent)\n", res.Throughput())
	for _, sort := range []string{"-flat", "-cum"} {
		b, err := exec.Command("go", "tool", "pprof", "-top", sort, "-nodecount=10", e.gateway, profPath).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go tool pprof: %v\n%s", err, b)
		}
		top.WriteString(pprofTable(string(b)))
	}
	return top.String(), nil
}

// fetchProfile saves the CPU profile url answers with (it records for its seconds first).
func fetchProfile(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("%s: %s: %s", url, resp.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pprofTable keeps pprof's header line about totals and its table.
func pprofTable(out string) string {
	var keep []string
	table := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "Showing nodes"), strings.HasPrefix(l, "Duration:"):
			keep = append(keep, l)
		case strings.Contains(l, "flat%"):
			table = true
			keep = append(keep, l)
		case table && strings.TrimSpace(l) != "":
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n") + "\n"
}
