package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/sandbox"
)

// tokenSwitch stands in for the provider during a rotation: it accepts the old and the new
// org token, and records which one each call carried.
type tokenSwitch struct {
	next     http.Handler
	old, new string
	mu       sync.Mutex
	seen     []string // "old" or "new", in arrival order
}

func (s *tokenSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	switch got {
	case s.old:
		s.seen = append(s.seen, "old")
	case s.new:
		s.seen = append(s.seen, "new")
		r.Header.Set("Authorization", "Bearer "+s.old) // the sandbox knows one token
	}
	s.mu.Unlock()
	s.next.ServeHTTP(w, r)
}

func TestSIGHUPUnderLoadAppliesNewRulesAndTokenWithoutFailures(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "org-token")
	sw := &tokenSwitch{old: "org-token-old-5d1e", new: "org-token-new-8a7c"}
	table, _ := routes.Build("retool-v2", "retool-v2", nil)
	sbo := sandbox.Options{Token: sw.old}
	sbo.UseRoutes(table)
	sw.next = sandbox.New(sbo)
	sbLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sbSrv := &http.Server{Handler: sw, ReadHeaderTimeout: time.Second}
	go func() { _ = sbSrv.Serve(sbLn) }()
	t.Cleanup(func() { _ = sbSrv.Close() })

	key1, sum1 := auth.NewKey("one-1")
	key2, sum2 := auth.NewKey("two-1")
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfgText := func(scopes1 string, withCaller2 bool) string {
		doc := fmt.Sprintf(`
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0", shutdown_grace: 1s}
upstreams:
  - {name: retool, base_url: "http://%s", profile: retool-v2, auth: {token_file: %q}, budget: {capacity: 100000}}
callers:
  - {name: one, scopes: %s, keys: [{id: one-1, sha256: %q}]}
`, sbLn.Addr(), tokenFile, scopes1, sum1)
		if withCaller2 {
			doc += fmt.Sprintf("  - {name: two, scopes: [users:read], keys: [{id: two-1, sha256: %q}]}\n", sum2)
		}
		return doc
	}
	write("org-token", sw.old+"\n")
	write("gateway.yaml", cfgText("[users:read, groups:read]", false))
	path := filepath.Join(dir, "gateway.yaml")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, app.Options{Logger: zap.NewNop()})
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
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	// A long poll interval: the reload in this test must come from the signal.
	go a.Watcher(path, hup, time.Hour)(ctx)
	t.Cleanup(func() { signal.Stop(hup); cancel(); <-done })
	base := "http://" + ln.Addr().String()

	get := func(key, path string) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// Steady load with the first caller's key on a route it keeps.
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if get(key1.Reveal(), "/api/v2/users") == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if s := get(key2.Reveal(), "/api/v2/users"); s != http.StatusUnauthorized {
		t.Fatalf("the second caller before the reload: %d; want 401", s)
	}
	// Change everything at once, then SIGHUP.
	write("org-token", sw.new+"\n")
	write("gateway.yaml", cfgText("[users:read]", true))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "the new caller is accepted after SIGHUP", func() bool {
		return get(key2.Reveal(), "/api/v2/users") == http.StatusOK
	})
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()

	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed during the reload; want none", failed.Load(), ok.Load()+failed.Load())
	}
	if s := get(key1.Reveal(), "/api/v2/groups"); s != http.StatusForbidden {
		t.Fatalf("a removed scope answered %d after the reload; want 403", s)
	}
	sw.mu.Lock()
	last := sw.seen[len(sw.seen)-1]
	sawOld := sw.seen[0] == "old"
	sw.mu.Unlock()
	if !sawOld || last != "new" {
		t.Fatalf("org token first %v, last %q; want the old one before the reload and the new one after", sawOld, last)
	}
	t.Logf("%d requests during the reload, none failed", ok.Load())
}

func TestAnInvalidConfigIsRefusedAndAChangedFileIsPickedUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	key, sum := auth.NewKey("one-1")
	upstream := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"success":true}`)) }), ReadHeaderTimeout: time.Second}
	upLn, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = upstream.Serve(upLn) }()
	t.Cleanup(func() { _ = upstream.Close() })
	t.Setenv("E2E_RELOAD_TOKEN", "tok")
	doc := func(scopes string) string {
		return fmt.Sprintf(`
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0", shutdown_grace: 1s}
upstreams: [{name: retool, base_url: "http://%s", profile: retool-v2, auth: {token_env: E2E_RELOAD_TOKEN}}]
callers: [{name: one, scopes: %s, keys: [{id: one-1, sha256: %q}]}]
`, upLn.Addr(), scopes, sum)
	}
	if err := os.WriteFile(path, []byte(doc("[users:read]")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, app.Options{Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	ln, adminLn, _ := app.Listen(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Serve(ctx, ln, adminLn) }()
	go a.Watcher(path, nil, 20*time.Millisecond)(ctx)
	t.Cleanup(func() { cancel(); <-done })
	get := func(p string) int {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+p, nil)
		req.Header.Set("Authorization", "Bearer "+key.Reveal())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if err := os.WriteFile(path, []byte("upstreams: [{name: retool, budget: {window: -1s}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "the refused reload is counted", func() bool {
		return metricValue(t, "http://"+adminLn.Addr().String(), `gateway_config_reload_total{result="refused"}`) >= 1
	})
	if s := get("/api/v2/users"); s != http.StatusOK {
		t.Fatalf("after a refused reload the old config answered %d; want 200", s)
	}
	if err := os.WriteFile(path, []byte(doc("[groups:read]")), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "a changed file is reloaded without a signal", func() bool {
		return get("/api/v2/groups") == http.StatusOK && get("/api/v2/users") == http.StatusForbidden
	})
}

// metricValue reads one sample from a /metrics page (0 when absent).
func metricValue(t *testing.T, admin, series string) float64 {
	resp, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			_, _ = fmt.Sscan(rest, &v)
			return v
		}
	}
	return 0
}
