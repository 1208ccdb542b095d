package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/config"
)

// runProfiledGateway is `gateway serve` with a CPU profile: the same app.New and
// app.Serve, wrapped in runtime/pprof, so a profile can be taken of the gateway at
// saturation without a pprof endpoint in the product. The profile is written when the
// process stops (SIGTERM).
func runProfiledGateway(args []string) error {
	fs := flag.NewFlagSet("profgateway", flag.ContinueOnError)
	path := fs.String("config", "", "configuration file")
	out := fs.String("cpuprofile", "", "where to write the CPU profile")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	log, closeLog, err := app.NewLogger(cfg.Log.Level)
	if err != nil {
		return err
	}
	defer closeLog()
	a, err := app.New(cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	ln, adminLn, err := app.Listen(cfg)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// Profile only the measured span: the harness sends SIGUSR1 when its load starts.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		select {
		case <-usr1:
			_ = pprof.StartCPUProfile(f)
		case <-ctx.Done():
		}
	}()
	err = a.Serve(ctx, ln, adminLn)
	pprof.StopCPUProfile()
	return err
}

// profileGateway runs the gateway described by s under runProfiledGateway, puts it at
// saturation for dur (after warm), and returns pprof's top-10 (by flat and by cumulative
// CPU) for it.
func (e *env) profileGateway(s gatewaySpec, dur, warm time.Duration) (string, error) {
	cfgPath, err := e.writeGatewayConfig(&s)
	if err != nil {
		return "", err
	}
	profPath := filepath.Join(e.dir, s.name+".pprof")
	p, err := startProc(s.name, filepath.Join(e.dir, s.name+".log"), e.self, "profgateway", "-config", cfgPath, "-cpuprofile", profPath)
	if err != nil {
		return "", err
	}
	defer p.stop(10 * time.Second)
	if err := waitReady(s.adminURL()+"/readyz", 200, 15*time.Second); err != nil {
		return "", err
	}
	cl := s.callers[0]
	spec := attackSpec{url: s.url() + "/api/v2/users", header: bearer(cl.key), workers: saturationWorkers, dur: warm}
	attack(spec, 200)
	_ = p.cmd.Process.Signal(syscall.SIGUSR1)
	spec.dur = dur
	res := attack(spec, 200)
	p.stop(10 * time.Second)
	var top strings.Builder
	fmt.Fprintf(&top, "%.0f answered/s while profiled (profiling costs a few per cent)\n", res.throughput())
	for _, sort := range []string{"-flat", "-cum"} {
		b, err := exec.Command("go", "tool", "pprof", "-top", sort, "-nodecount=10", e.self, profPath).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go tool pprof: %v\n%s", err, b)
		}
		top.WriteString(pprofTable(string(b)))
	}
	return top.String(), nil
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
