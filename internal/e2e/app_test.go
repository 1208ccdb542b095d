package e2e

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/config"
)

// replica is one running gateway process (in-process).
type replica struct {
	app   *app.App
	base  string // http://host:port of the gateway
	admin string // http://host:port of the admin listener
}

// startReplica parses doc, starts the app on loopback ports and stops it with the test.
func startReplica(t *testing.T, doc string, log *zap.Logger) *replica {
	t.Helper()
	cfg, err := config.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	a, err := app.New(cfg, app.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ln, adminLn, err := app.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Serve(ctx, ln, adminLn) }()
	t.Cleanup(func() { cancel(); <-done })
	return &replica{app: a, base: "http://" + ln.Addr().String(), admin: "http://" + adminLn.Addr().String()}
}
