// Package profgateway is `gateway serve` under a CPU profile (the child mode `bench
// profgateway`), and the reading of pprof's answer for the report: the same app.New and
// app.Serve as the product, so a profile can be taken at saturation without a pprof
// endpoint in the gateway.
//
// It profiles only the span the harness marks (SIGUSR1 to the end), never adds anything
// to the gateway's own code paths, and never serves a profile over the network.
package profgateway

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/config"
)

// Run is `gateway serve` with a CPU profile: the same app.New and
// app.Serve, wrapped in runtime/pprof, so a profile can be taken of the gateway at
// saturation without a pprof endpoint in the product. The profile is written when the
// process stops (SIGTERM).
func Run(args []string) error {
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

// Table keeps pprof's header line about totals and its table.
func Table(out string) string {
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
