package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/config"
)

func serveCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	path := fs.String("config", "", "configuration file (default: the embedded default)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
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

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Parse(bytes.NewReader(config.Default()))
	}
	return config.Load(path)
}
