package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/budgetgw/gateway/internal/config"
)

func configCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, "usage: gateway config check -config FILE\n")
		return usageError{errors.New("config: expected the check subcommand")}
	}
	fs := newFlags("config check", stderr)
	path := fs.String("config", "", "configuration file to validate")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *path == "" {
		fmt.Fprintln(stderr, "config check: -config FILE is required")
		return usageError{errors.New("missing -config")}
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintf(stderr, "%s is not valid:\n", *path)
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "  %s\n", line)
		}
		return checkFailed{err}
	}
	fmt.Fprintf(stdout, "%s is valid: %d upstream(s), %d caller(s)\n", *path, len(cfg.Upstreams), len(cfg.Callers))
	return nil
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
