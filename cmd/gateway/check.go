package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/preflight"
)

// checkCmd tests every connection the configuration implies, printing each step as it
// goes (a paid call's cost before it is made) and one line per failure at the end.
func checkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	path := fs.String("config", "", "configuration file (default: the embedded default)")
	timeout := fs.Duration("timeout", 10*time.Second, "limit for each step")
	skipToken := fs.Bool("skip-token", false, "do not make the one paid call per upstream that checks the org token")
	output := fs.String("o", "table", "output: table, or json (one object per step, for scripts)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkOutput(*output, stderr); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		printInvalid(stderr, *path, err)
		return checkFailed{err}
	}
	// The Redis client logs dial failures itself; the check reports them once, its own way.
	redis.SetLogger(quietRedis{})
	check := preflight.New(cfg, preflight.Options{Timeout: *timeout, SkipTokenCall: *skipToken})
	var printer preflight.Observer = checkPrinter{stdout}
	if *output == "json" {
		printer = quietPrinter{}
	}
	report := check.Run(ctx, printer)
	failures := report.Failures()
	if *output == "json" {
		printCheckJSON(stdout, report)
		if len(failures) > 0 {
			return checkFailed{fmt.Errorf("check: %d of %d checks failed", len(failures), len(report.Results))}
		}
		return nil
	}
	if len(failures) == 0 {
		fmt.Fprintf(stdout, "\nall %d checks passed\n", len(report.Results))
		return nil
	}
	fmt.Fprintln(stderr)
	for _, f := range failures {
		fmt.Fprintf(stderr, "FAIL %s\n", f)
	}
	return checkFailed{fmt.Errorf("check: %d of %d checks failed", len(failures), len(report.Results))}
}

// checkPrinter writes a step's plan, then its outcome on the same line.
type checkPrinter struct{ w io.Writer }

func (p checkPrinter) Target(t *preflight.Target) {
	fmt.Fprintf(p.w, "%s (%s)\n", t.Name, t.About)
}

func (p checkPrinter) Step(_ *preflight.Target, s *preflight.Step) {
	fmt.Fprintf(p.w, "  %-8s %s ... ", s.Name, s.Plan)
}

func (p checkPrinter) Done(_ *preflight.Target, s *preflight.Step, r preflight.Result) {
	elapsed := r.Elapsed.Round(100 * time.Microsecond)
	switch {
	case r.Skipped:
		fmt.Fprintf(p.w, "  %-8s skipped: %s\n", s.Name, r.Detail)
	case r.Err != nil:
		fmt.Fprintf(p.w, "FAILED (%s)\n", elapsed)
	default:
		fmt.Fprintf(p.w, "ok (%s): %s\n", elapsed, r.Detail)
	}
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Parse(bytes.NewReader(config.Default()))
	}
	return config.Load(path)
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// quietPrinter prints nothing as the steps run: -o json prints the whole report at the end.
type quietPrinter struct{}

func (quietPrinter) Target(*preflight.Target)                                  {}
func (quietPrinter) Step(*preflight.Target, *preflight.Step)                   {}
func (quietPrinter) Done(*preflight.Target, *preflight.Step, preflight.Result) {}

func printCheckJSON(w io.Writer, r preflight.Report) {
	type step struct {
		Target  string  `json:"target"`
		Step    string  `json:"step"`
		Result  string  `json:"result"` // ok, skipped, failed
		Detail  string  `json:"detail"`
		Seconds float64 `json:"seconds"`
	}
	out := struct {
		OK    bool   `json:"ok"`
		Steps []step `json:"steps"`
	}{OK: len(r.Failures()) == 0, Steps: []step{}}
	for _, res := range r.Results {
		s := step{Target: res.Target, Step: res.Step, Result: "ok", Detail: res.Detail, Seconds: res.Elapsed.Seconds()}
		switch {
		case res.Skipped:
			s.Result = "skipped"
		case res.Err != nil:
			s.Result, s.Detail = "failed", res.Err.Error()
		}
		out.Steps = append(out.Steps, s)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	printJSON(w, b)
}
