package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/sandbox"
)

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "gateway address")
	adminListen := fs.String("admin-listen", "127.0.0.1:9090", "metrics and health address")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	table, err := routes.Build("retool-v2", "retool-v2", nil)
	if err != nil {
		return err
	}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	orgToken := "retool_demo_" + hex.EncodeToString(tok[:])
	sbOpts := sandbox.Options{API: sandbox.RetoolV2, Token: orgToken, Capacity: table.Profile().Budget.Capacity, Window: table.Profile().Budget.Window, Lockout: table.Profile().Budget.Lockout, Latency: [2]time.Duration{5 * time.Millisecond, 40 * time.Millisecond}, Seed: 1}
	sbOpts.UseRoutes(table)
	sbLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sb := &http.Server{Handler: sandbox.New(sbOpts), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = sb.Serve(sbLn) }()
	defer sb.Close()
	// The simulated org token reaches the gateway the way a production token does: in a
	// token_file (private to this process, removed on exit), never in the environment
	// of the whole process.
	dir, err := os.MkdirTemp("", "gateway-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tokenFile := filepath.Join(dir, "org-token")
	if err := os.WriteFile(tokenFile, []byte(orgToken), 0o600); err != nil {
		return err
	}
	key, sum := auth.NewKey("demo-1")
	cfg, err := demoConfig(*listen, *adminListen, "http://"+sbLn.Addr().String(), tokenFile, sum)
	if err != nil {
		return err
	}
	log, closeLog, err := app.NewLogger(cfg.Log.Level)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }() // after Serve has drained: every buffered line is written
	a, err := app.New(cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	ln, adminLn, err := app.Listen(cfg)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, `Demo: a simulated Retool API (300 points per 60 s, 429 and a 60 s lockout when exceeded)
at %s, with a gateway in front of it at %s.
The caller "demo" holds users:read, groups:write and folders:read. Try:

  # list users (2 points)
  curl -s -H 'Authorization: Bearer %s' %s/api/v2/users
  # create a group (5 points; groups:write)
  curl -s -X POST -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{"name":"demo"}' %s/api/v2/groups
  # refused with 403 before any point is spent: the caller lacks permissions:read
  curl -s -X POST -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{}' %s/api/v2/permissions/listObjects
  # refused with 401: not a gateway key
  curl -s -H 'Authorization: Bearer not-a-key' %s/api/v2/users
  # the budget, as Prometheus sees it
  curl -s http://%s/metrics | grep '^gateway_budget'

The live status page (budget, waiters, callers, savings): http://%s/
Press Ctrl-C to stop.
`, sbLn.Addr(), base, key.Reveal(), base, key.Reveal(), base, key.Reveal(), base, base, adminLn.Addr(), adminLn.Addr())
	return a.Serve(ctx, ln, adminLn)
}

func demoConfig(listen, adminListen, upstreamURL, tokenFile, keyHash string) (*config.Config, error) {
	doc := fmt.Sprintf(`
server: {listen: %q, admin_listen: %q, shutdown_grace: 2s}
log: {level: info}
upstreams:
  - name: retool
    mount: /
    base_url: %q
    profile: retool-v2
    auth: {scheme: bearer, token_file: %q}
    budget: {max_wait: 5s}
callers:
  - name: demo
    scopes: [users:read, groups:write, folders:read]
    keys: [{id: demo-1, sha256: %q}]
`, listen, adminListen, upstreamURL, tokenFile, keyHash)
	return config.Parse(stringsReader(doc))
}
