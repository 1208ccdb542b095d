package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
)

func startWithPprof(t *testing.T, pprof bool) *proxytest.Gateway {
	t.Helper()
	upstream := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(upstream.Close)
	return proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
server: {listen: "127.0.0.1:0", pprof: %t}
upstreams:
  - name: retool
    mount: /
    base_url: %q
    profile: retool-v2
    auth: {scheme: bearer, token_file: %q}
`, pprof, upstream.URL, proxytest.SecretFile(t, "retool_org_pprof_test"))})
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPprofIsServedOnTheAdminListenerOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	off := startWithPprof(t, false)
	if code, _ := get(t, off.AdminURL+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("pprof off: /debug/pprof/ answered %d, want 404", code)
	}
	on := startWithPprof(t, true)
	if code, body := get(t, on.AdminURL+"/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("pprof on: /debug/pprof/ answered %d", code)
	}
	if code, body := get(t, on.AdminURL+"/debug/pprof/heap?debug=1"); code != 200 || !strings.Contains(body, "heap profile") {
		t.Errorf("pprof on: heap profile answered %d", code)
	}
	if code, _ := get(t, on.AdminURL+"/debug/pprof/cmdline"); code != http.StatusNotFound {
		t.Errorf("pprof on: /debug/pprof/cmdline answered %d, want 404 (arguments are not served)", code)
	}
	if code, _ := get(t, on.URL+"/debug/pprof/"); code == 200 {
		t.Error("pprof is served on the API listener")
	}
}
