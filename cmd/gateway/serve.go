package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/heapfloor"
)

func serveCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	path := fs.String("config", "", "configuration file (default: the embedded default: one Retool upstream, token from RETOOL_API_TOKEN, no callers)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var cfg *config.Config
	var err error
	if *path == "" {
		var notice string
		cfg, notice, err = embeddedDefault(os.Getenv)
		fmt.Fprint(stderr, notice)
	} else {
		cfg, err = config.Load(*path)
	}
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" { // an operator's own GOGC is kept as set
		defer heapfloor.Start(heapfloor.Floor)()
	}
	log, closeLog, err := app.NewLogger(cfg.Log.Level)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }() // after Serve has drained: every buffered line is written
	app.SetRedisLogger(log)           // go-redis's logger is process-wide: set once, here
	a, err := app.New(cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	ln, adminLn, err := app.Listen(cfg)
	if err != nil {
		return err
	}
	if *path != "" {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go a.Watcher(*path, hup, time.Second)(ctx)
	}
	return a.Serve(ctx, ln, adminLn)
}

// embeddedDefault is the configuration of `gateway serve` without a file, and a notice
// saying what it runs and what is missing: without it, a trial ends in a 401 for every
// call and no idea why. With GATEWAY_ADMIN_TOKEN set, the admin API is on (in-memory
// store), so callers and keys can be added without writing a file.
func embeddedDefault(getenv func(string) string) (*config.Config, string, error) {
	cfg, err := config.Parse(bytes.NewReader(config.Default()))
	if err != nil {
		return nil, "", err
	}
	var b strings.Builder
	u := cfg.Upstreams[0]
	fmt.Fprintf(&b, "gateway serve: no -config, so running the embedded default: upstream %s at %s (profile %s), org token from $%s,\n"+
		"  an in-memory budget (one replica), listening on %s (metrics and health on %s).\n",
		u.Name, u.BaseURL, u.Profile, u.Auth.Env, cfg.Server.Listen, cfg.Server.AdminListen)
	if strings.TrimSpace(getenv(u.Auth.Env)) == "" {
		fmt.Fprintf(&b, "  Missing: $%s is not set. Export the organisation's Retool API token in it.\n", u.Auth.Env)
		return nil, b.String(), fmt.Errorf("environment variable %s is not set: the embedded default reads the org token from it", u.Auth.Env)
	}
	if strings.TrimSpace(getenv(adminTokenEnv)) != "" {
		cfg.Admin.Env = adminTokenEnv
		fmt.Fprintf(&b, "  No callers yet: every call gets 401 until you add one. The admin API is on ($%s is set; keys live in memory):\n"+
			"    gateway callers set my-service -scopes users:read\n"+
			"    gateway keys new -caller my-service -admin-url http://%s\n", adminTokenEnv, loopback(cfg.Server.AdminListen))
	} else {
		fmt.Fprintf(&b, "  No callers: every call gets 401. Either set $%s and restart (the admin API then adds callers and keys),\n"+
			"  or write a config file (config.example.yaml; gateway keys new -caller NAME prints the lines) and run gateway serve -config FILE.\n", adminTokenEnv)
	}
	return cfg, b.String(), nil
}

// loopback turns a listen address such as 127.0.0.1:9090 or :9090 into one to dial.
func loopback(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
}
