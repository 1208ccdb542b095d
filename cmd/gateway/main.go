// Command gateway is an authenticating reverse proxy that spends one shared SaaS API budget
// (such as Retool's 300 points per minute) fairly and exactly across many internal callers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		printError(os.Stderr, err)
		os.Exit(exitCode(err))
	}
}

// printError prints an error run returned, unless the command printed it already: every
// problem is said once.
func printError(w io.Writer, err error) {
	var ue usageError
	var cf checkFailed
	if !errors.As(err, &ue) && !errors.As(err, &cf) {
		fmt.Fprintln(w, "gateway:", err)
	}
}

// usageError is a mistake on the command line; its message was already printed.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// checkFailed means a check ran and found problems (exit 1, already printed).
type checkFailed struct{ error }

func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// run is main without the process: tests call it with their own context and writers.
// Asking for help (-h, --help) is a success: the usage was printed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

// newFlags makes a FlagSet that reports errors to stderr and returns them, not exits.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		return usageError{fmt.Errorf("unexpected arguments %v", fs.Args())}
	}
	return nil
}
