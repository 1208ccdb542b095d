package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// command is one row of the CLI: the whole command line is this table (usage, help,
// dispatch and the docs' command table, which a test checks against it).
type command struct {
	name    string // as typed after "gateway": "keys new"
	args    string // its arguments, for the usage
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// noCtx adapts a command that needs no context.
func noCtx(f func(args []string, stdout, stderr io.Writer) error) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(_ context.Context, args []string, stdout, stderr io.Writer) error { return f(args, stdout, stderr) }
}

var commands = []command{
	{"demo", "[-listen 127.0.0.1:8080] [-admin-listen 127.0.0.1:9090]", "a simulated Retool API with a gateway in front, in one process", demoCmd},
	{"serve", "[-config FILE]", "run the gateway (without -config: the embedded default, which says what is missing)", serveCmd},
	{"config check", "-config FILE [-skip-sources] [-o json]", "every check serve runs before listening; exit 1 naming each problem with its key path and line", noCtx(configCheck)},
	{"check", "[-config FILE] [-skip-token] [-timeout 10s] [-o json]", "test connections: each upstream and its org token (one paid call), and Redis", checkCmd},
	{"keys new", "-caller NAME [-id ID | -name N -expires-in D]", "a caller key: offline (config lines) unless -admin-url or GATEWAY_ADMIN_URL is set, then live", noCtx(keysNew)},
	{"keys list", "[-caller NAME]", "every key with its source (file, admin) and any overlay; never a secret", noCtx(keysList)},
	{"keys disable", "ID", "disable a key; for a key of the file, an emergency overlay that survives reloads", noCtx(func(a []string, o, e io.Writer) error { return keysSetDisabled("disable", a, o, e) })},
	{"keys enable", "ID", "enable a key again; for a key of the file, lift the overlay", noCtx(func(a []string, o, e io.Writer) error { return keysSetDisabled("enable", a, o, e) })},
	{"keys rotate", "ID [-grace 24h]", "a successor now; the old run-time key works for the grace, then 401", noCtx(keysRotate)},
	{"keys delete", "ID", "delete a run-time key: 401 from then on", noCtx(keysDelete)},
	{"callers list", "", "callers with source (file, admin), settings, keys and points counted now", noCtx(callersList)},
	{"callers set", "NAME [-scopes S] [-priority P] [-max-points N]", "add or change a run-time caller (flags left out keep their value)", noCtx(callersSet)},
	{"callers delete", "NAME", "remove a run-time caller and its keys", noCtx(callersDelete)},
	{"sandbox", "-listen ADDR [-scopes '*'] [-capacity 300 -window 60s -lockout 60s] [-latency 5ms-40ms] [-fail-rate 0] [-seed 1]", "a spec-faithful Retool API v2 stand-in (no points spent)", sandboxCmd},
	{"version", "[-o json]", "the build's version", noCtx(versionCmd)},
}

// usageOf lists the commands under group ("" for all).
func usageOf(group string) string {
	var b strings.Builder
	if group == "" {
		b.WriteString("gateway: an authenticating, budget-sharing reverse proxy\n\nCommands:\n")
	} else {
		b.WriteString("usage:\n")
	}
	for _, c := range commands {
		if group != "" && !strings.HasPrefix(c.name, group+" ") {
			continue
		}
		fmt.Fprintf(&b, "  %s\n      %s\n", strings.TrimSpace("gateway "+c.name+" "+c.args), c.summary)
	}
	b.WriteString("Every command takes -h. Admin API commands (keys, callers; keys new with an admin URL) read the\n" +
		"admin token from GATEWAY_ADMIN_TOKEN and the URL from -admin-url, GATEWAY_ADMIN_URL or\n" +
		"http://127.0.0.1:9090, and take -o json and -actor NAME.\n")
	return b.String()
}

// dispatch finds the command named by the first one or two arguments.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageOf(""))
		return usageError{errors.New("no command")}
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, usageOf(""))
		return nil
	}
	isGroup := false
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c.run(ctx, args[len(words):], stdout, stderr)
		}
		isGroup = isGroup || len(words) > 1 && words[0] == args[0]
	}
	if isGroup {
		if len(args) > 1 && isHelp(args[1]) {
			fmt.Fprint(stdout, usageOf(args[0]))
			return nil
		}
		if len(args) > 1 {
			fmt.Fprintf(stderr, "unknown %s subcommand %q\n", args[0], args[1])
		}
		fmt.Fprint(stderr, usageOf(args[0]))
		return usageError{fmt.Errorf("%s: expected a subcommand", args[0])}
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usageOf(""))
	return usageError{fmt.Errorf("unknown command %q", args[0])}
}
