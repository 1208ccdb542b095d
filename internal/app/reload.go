package app

import (
	"context"
	"crypto/sha256"
	"os"
	"reflect"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/budgetgw/gateway/internal/config"
)

// Reload applies a new configuration: upstreams, routes, budgets, org tokens, callers
// and keys. Requests in flight finish on what they started with. Listeners and Redis
// settings need a restart; a change to them is logged and otherwise ignored. A new
// configuration that cannot be built is refused and the current one keeps serving.
func (a *App) Reload(cfg *config.Config) error {
	if err := a.gateway.Reload(cfg); err != nil {
		a.refused("", err)
		return err
	}
	if err := a.keys.SetConfig(cfg.Callers); err != nil {
		a.refused("", err)
		return err
	}
	a.keys.SetKnownScopes(cfg.KnownScopes())
	if cfg.Server != a.cfg.Server || !reflect.DeepEqual(cfg.Redis, a.cfg.Redis) || cfg.Admin != a.cfg.Admin {
		a.log.Warn("server, redis and admin settings changed in the file; they take effect after a restart")
	}
	a.cfg.Upstreams, a.cfg.Callers = cfg.Upstreams, cfg.Callers
	a.watchBudgets()
	a.metrics.ConfigReloads.WithLabelValues("applied").Inc()
	a.status.Reloaded(true)
	a.log.Info("config reloaded", zap.Int("upstreams", len(cfg.Upstreams)), zap.Int("callers", len(cfg.Callers)))
	return nil
}

// ReloadFile loads path and applies it.
func (a *App) ReloadFile(path string) error {
	cfg, err := config.Load(path)
	if err == nil {
		err = cfg.CheckSources()
	}
	if err != nil {
		a.refused(path, err)
		return err
	}
	return a.Reload(cfg)
}

// refused logs a refused reload as one line that lists every problem (a list, not a
// joined blob, and no stack trace: the problem is the file, not the code).
func (a *App) refused(path string, err error) {
	a.metrics.ConfigReloads.WithLabelValues("refused").Inc()
	a.status.Reloaded(false)
	fields := []zap.Field{zap.Strings("errors", strings.Split(err.Error(), "\n"))}
	if path != "" {
		fields = append(fields, zap.String("path", path))
	}
	a.log.WithOptions(zap.AddStacktrace(zapcore.FatalLevel)).Error("config reload refused; the current configuration keeps serving", fields...)
}

// Watcher returns a loop that reloads path on a signal from hup and whenever the file,
// or a token_file it names, changes (checked every interval), until ctx ends. The file is
// fingerprinted now, so a change made after Watcher returns is never missed.
func (a *App) Watcher(path string, hup <-chan os.Signal, interval time.Duration) func(ctx context.Context) {
	last := a.fingerprint(path)
	return func(ctx context.Context) { a.watch(ctx, path, hup, interval, last) }
}

func (a *App) watch(ctx context.Context, path string, hup <-chan os.Signal, interval time.Duration, last [32]byte) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			a.log.Info("SIGHUP: reloading configuration", zap.String("path", path))
		case <-t.C:
			fp := a.fingerprint(path)
			if fp == last {
				continue
			}
			a.log.Info("configuration or token file changed: reloading", zap.String("path", path))
		}
		_ = a.ReloadFile(path)
		last = a.fingerprint(path)
	}
}

// fingerprint hashes the config file and the token files it names, so a rewritten token
// file (a rotated org token) triggers a reload like an edited config does.
func (a *App) fingerprint(path string) [32]byte {
	h := sha256.New()
	b, _ := os.ReadFile(path)
	h.Write(b)
	for _, u := range a.cfg.Upstreams {
		if u.Auth.File != "" {
			tb, _ := os.ReadFile(u.Auth.File)
			h.Write([]byte{0})
			h.Write(tb)
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}
