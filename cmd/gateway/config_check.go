package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/budgetgw/gateway/internal/config"
)

// configCheck runs every check serve runs before it opens a listener: keys and values,
// addresses, durations, scopes against the route tables, and the token sources
// (token_env set, token_file readable). -skip-sources leaves the token sources out, to
// check a file away from where it runs (in CI, say).
func configCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("config check", stderr)
	path := fs.String("config", "", "configuration file to validate")
	skipSources := fs.Bool("skip-sources", false, "do not read token_env/token_file (checking a file away from where it runs)")
	output := fs.String("o", "table", "output: table, or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" {
		fmt.Fprintln(stderr, "config check: -config FILE is required")
		return usageError{errors.New("missing -config")}
	}
	if err := checkOutput(*output, stderr); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err == nil && !*skipSources {
		err = cfg.CheckSources()
	}
	if *output == "json" {
		out := map[string]any{"file": *path, "valid": err == nil, "errors": errorLines(err)}
		if cfg != nil {
			out["upstreams"], out["callers"] = len(cfg.Upstreams), len(cfg.Callers)
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		printJSON(stdout, b)
		if err != nil {
			return checkFailed{err}
		}
		return nil
	}
	if err != nil {
		printInvalid(stderr, *path, err)
		return checkFailed{err}
	}
	fmt.Fprintf(stdout, "%s is valid: %d upstream(s), %d caller(s)\n", *path, len(cfg.Upstreams), len(cfg.Callers))
	return nil
}

// printInvalid lists a file's problems, one per line, each once.
func printInvalid(w io.Writer, path string, err error) {
	fmt.Fprintf(w, "%s is not valid:\n", path)
	for _, line := range errorLines(err) {
		fmt.Fprintf(w, "  %s\n", line)
	}
}

func errorLines(err error) []string {
	if err == nil {
		return []string{}
	}
	return strings.Split(err.Error(), "\n")
}

func checkOutput(o string, stderr io.Writer) error {
	if o != "table" && o != "json" {
		fmt.Fprintf(stderr, "-o must be table or json, not %q\n", o)
		return usageError{fmt.Errorf("bad -o %q", o)}
	}
	return nil
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
