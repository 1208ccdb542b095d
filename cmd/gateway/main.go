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
		var ue usageError
		var cf checkFailed
		if !errors.As(err, &ue) && !errors.As(err, &cf) { // those were printed already, once
			fmt.Fprintln(os.Stderr, "gateway:", err)
		}
		os.Exit(exitCode(err))
	}
}

const usage = `gateway: an authenticating, budget-sharing reverse proxy

Commands:
  gateway demo [-listen 127.0.0.1:8080]  a simulated Retool API with a gateway in front, in one process
  gateway serve [-config FILE]           run the gateway (without -config: the embedded default)
  gateway keys new -caller NAME          mint a caller key offline and print the config lines for it
  gateway keys ...                       list, create, disable, enable, rotate, delete keys (admin API)
  gateway callers ...                    list and set run-time callers (admin API)
  gateway config check -config FILE      every check serve runs before listening; exit 1 naming each problem
  gateway check -config FILE             test connections: each upstream and its token, and Redis
  gateway sandbox -listen ADDR           a spec-faithful Retool API v2 stand-in (no points spent)
  gateway version                        the build's version
Every command takes -h. Admin API commands take -o json.
`

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

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{errors.New("no command")}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serveCmd(ctx, rest, stdout, stderr)
	case "demo":
		return demoCmd(ctx, rest, stdout, stderr)
	case "keys":
		return keysCmd(rest, stdout, stderr)
	case "callers":
		return callersCmd(rest, stdout, stderr)
	case "config":
		return configCmd(rest, stdout, stderr)
	case "check":
		return checkCmd(ctx, rest, stdout, stderr)
	case "sandbox":
		return sandboxCmd(ctx, rest, stdout, stderr)
	case "version":
		return versionCmd(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return usageError{fmt.Errorf("unknown command %q", cmd)}
	}
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
