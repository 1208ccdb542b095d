package status_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// chromium finds Debian's chromium: skipped on a developer's machine without it, a
// failure in CI (CI=true), where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: .ci/run must apt-get install chromium")
	}
	t.Skip("chromium is not installed (apt-get install chromium) to run the browser test")
	return ""
}

// browser is a headless Chromium with a fresh profile that records every console error,
// uncaught exception and failed load the page causes.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	// Not t.TempDir: Chromium's helpers may still be writing the profile for a moment after
	// the browser exits, and TempDir fails the test when it cannot remove everything.
	profile, err := os.MkdirTemp("", "status-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// Generous: a loaded 2-core CI machine starts Chromium slowly.
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		for i := 0; i < 50 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Error()
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError {
				msg = "log: " + ev.Entry.Text + " " + ev.Entry.URL
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	})
	if err := chromedp.Run(ctx, log.Enable()); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// text reads the text of the first element matching sel, "" when absent.
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	var s string
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.textContent : ""; })()`, sel)
	if err := chromedp.Run(b.ctx, chromedp.Evaluate(js, &s)); err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// await polls until the element's text satisfies ok (the page polls status.json every
// refresh_seconds), failing after a deadline generous enough for a loaded machine.
func (b *browser) await(t *testing.T, sel, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		s := b.text(t, sel)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q never became %s", sel, s, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func equals(want string) func(string) bool { return func(s string) bool { return s == want } }

func num(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

// screenshot saves the page as a PNG in $ARTIFACTS (CI keeps it) or the test's temp dir.
func (b *browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	var png []byte
	if err := chromedp.Run(b.ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

func TestStatusPageInChromiumShowsTheMetricsAndUpdatesWhenACallIsAdmitted(t *testing.T) {
	b := newBrowser(t)
	gw := startRetool(t)
	knownTraffic(t, gw)
	budget := getJSON(t, gw.AdminURL).Budgets[0].Name
	card := fmt.Sprintf(`[data-budget=%q] `, budget)

	if err := chromedp.Run(b.ctx, chromedp.Navigate(gw.AdminURL+"/status"), chromedp.WaitVisible(card+`[data-field="used"]`)); err != nil {
		t.Fatalf("load the status page: %v", err)
	}
	used := gw.Metric(t, "gateway_budget_points_used", "budget", budget)
	b.await(t, card+`[data-field="used"]`, "the metric's "+num(used), equals(num(used)))
	for _, c := range []struct{ sel, metric, label, value string }{
		{card + `[data-field="capacity"]`, "gateway_budget_points_capacity", "budget", budget},
		{card + `[data-caller="reader"] [data-field="points"]`, "gateway_budget_points_admitted_total", "caller", "reader"},
		{card + `[data-caller="writer"] [data-field="points"]`, "gateway_budget_points_admitted_total", "caller", "writer"},
		{`#callers tr[data-key="capped"] td:nth-child(2)`, "gateway_budget_points_admitted_total", "caller", "capped"},
		{`#callers tr[data-key="capped"] td:nth-child(3)`, "gateway_budget_rejections_total", "caller", "capped"},
		{`#refusals tr[data-key="retool/caller_cap"] td:nth-child(3)`, "gateway_budget_rejections_total", "reason", "caller_cap"},
		{card + `[data-field="waiters"]`, "gateway_budget_waiters", "budget", budget},
	} {
		want := num(gw.Metric(t, c.metric, c.label, c.value))
		if got := b.text(t, c.sel); got != want {
			t.Errorf("%s shows %q, %s{%s=%q} is %s", c.sel, got, c.metric, c.label, c.value, want)
		}
	}
	if got := b.text(t, card+`[data-field="lockout"]`); got != "none" {
		t.Errorf("lockout shows %q, want none", got)
	}
	if got := b.text(t, `[data-field="store"]`); !strings.Contains(got, "memory") {
		t.Errorf("store shows %q, want the in-memory store named", got)
	}
	var paths int
	if err := chromedp.Run(b.ctx, chromedp.Evaluate(`document.querySelectorAll(`+strconv.Quote(card+"svg.chart path.line")+`).length`, &paths)); err != nil || paths != 1 {
		t.Errorf("the chart draws %d usage lines (err %v), want 1", paths, err)
	}

	// One more admitted call: the page catches up by itself, without a reload.
	if r := gw.Call(t, "GET", "/api/v2/users/3", gw.Key(proxytest.Reader), nil); r.Status != 200 {
		t.Fatalf("call: %d %s", r.Status, r.Body)
	}
	after := gw.Metric(t, "gateway_budget_points_used", "budget", budget)
	if after <= used {
		t.Fatalf("points used %v after an admitted call, was %v", after, used)
	}
	b.await(t, card+`[data-field="used"]`, "the metric's "+num(after), equals(num(after)))
	b.await(t, card+`[data-caller="reader"] [data-field="points"]`, "reader's new total",
		equals(num(gw.Metric(t, "gateway_budget_points_admitted_total", "caller", "reader"))))

	b.screenshot(t, "status-page.png")
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

func TestStatusPageInChromiumCountsALockoutDown(t *testing.T) {
	b := newBrowser(t)
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{Capacity: 300, Window: time.Minute,
		UpstreamCapacity: 2, UpstreamWindow: time.Minute, UpstreamLockout: 30 * time.Second})
	gw.Call(t, "GET", "/api/v2/users/1", gw.Key(proxytest.Reader), nil)
	if r := gw.Call(t, "GET", "/api/v2/users/2", gw.Key(proxytest.Reader), nil); r.Status != 429 {
		t.Fatalf("second read: %d, want the upstream's 429", r.Status)
	}
	if err := chromedp.Run(b.ctx, chromedp.Navigate(gw.AdminURL+"/"), chromedp.WaitVisible(`.budget.locked [data-field="lockout"]`)); err != nil {
		t.Fatalf("the page shows no locked budget: %v", err)
	}
	seconds := func(s string) int {
		n, err := strconv.Atoi(strings.TrimSuffix(s, " s"))
		if err != nil {
			return -1
		}
		return n
	}
	first := seconds(b.text(t, `[data-field="lockout"]`))
	if first <= 0 || first > 30 {
		t.Fatalf("lockout shows %d s, want the upstream's 30 s counting down", first)
	}
	b.await(t, `[data-field="lockout"]`, "a smaller number of seconds", func(s string) bool { n := seconds(s); return n >= 0 && n < first })
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestStatusPageScreenshotForTheREADME drives demo traffic for half a minute and saves the
// page to $STATUS_SCREENSHOT (docs/status.png). It runs only when asked:
//
//	STATUS_SCREENSHOT=$PWD/docs/status.png go test ./internal/status -run README
func TestStatusPageScreenshotForTheREADME(t *testing.T) {
	out := os.Getenv("STATUS_SCREENSHOT")
	if out == "" {
		t.Skip("set STATUS_SCREENSHOT to the PNG to write")
	}
	b := newBrowser(t)
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{Capacity: 300, Window: 15 * time.Second, CacheTTL: 3 * time.Second})
	if err := chromedp.Run(b.ctx, chromedp.Navigate(gw.AdminURL+"/"), chromedp.WaitVisible(`[data-field="used"]`)); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	var wg sync.WaitGroup
	for _, c := range []struct {
		key, method, path string
		every             time.Duration
	}{
		{proxytest.Reader, "GET", "/api/v2/users", 150 * time.Millisecond}, // mostly cache hits
		{proxytest.Reader, "GET", "/api/v2/users/%d", 400 * time.Millisecond},
		{proxytest.Writer, "POST", "/api/v2/groups", 700 * time.Millisecond},
		{proxytest.Admin, "GET", "/api/v2/groups/%d", 300 * time.Millisecond},
		{proxytest.Capped, "GET", "/api/v2/users/%d", time.Second},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				path := c.path
				if strings.Contains(path, "%d") {
					path = fmt.Sprintf(path, i)
				}
				req := gw.NewRequest(t, c.method, path, nil)
				if c.method == "POST" {
					req = gw.NewRequest(t, c.method, path, strings.NewReader(`{"name":"demo"}`))
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("Authorization", "Bearer "+gw.Key(c.key))
				_, _ = gw.Send(req)
				select {
				case <-ctx.Done():
				case <-time.After(c.every):
				}
			}
		}()
	}
	wg.Wait()
	time.Sleep(2500 * time.Millisecond) // one more poll of the page after the last call
	png := b.screenshot(t, "status-readme.png")
	data, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}
