package app_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// Every kind of answer the gateway gives, then a search for every secret it ever held in
// everything it ever wrote: log entries (message and every field), the /metrics page,
// and each body and header sent back to callers.
func TestNoSecretReachesLogsMetricsOrAnswers(t *testing.T) {
	t.Parallel()
	// The upstream allows 4 points a minute and locks out for 10 s; the gateway believes
	// in 100 points a second, so the third 2-point call draws a real upstream 429.
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{
		Capacity: 100, Window: time.Second,
		UpstreamCapacity: 4, UpstreamWindow: time.Minute, UpstreamLockout: 10 * time.Second,
		MaxBodyBytes: 1024,
	})
	wrong := proxytest.NewKey(proxytest.Reader) // right id, unknown secret
	call := func(key, method, path string, body io.Reader, want int) {
		t.Helper()
		a := gw.Call(t, method, path, key, body)
		if a.Status != want {
			t.Errorf("%s %s: status %d, want %d: %s", method, path, a.Status, want, a.Body)
		}
	}

	call(gw.Key(proxytest.Reader), "GET", "/api/v2/users", nil, 200)                        // admitted
	call(gw.Key(proxytest.Capped), "GET", "/api/v2/users/7", nil, 200)                      // admitted; its cap is now spent
	call(gw.Key(proxytest.Capped), "GET", "/api/v2/users", nil, 429)                        // refused by the gateway
	call(wrong.Raw, "GET", "/api/v2/users", nil, 401)                                       // wrong gwk_ key
	call(gw.OrgToken, "GET", "/api/v2/users", nil, 401)                                     // the org token, sent as a caller key
	call(gw.Key(proxytest.ReaderDisabled), "GET", "/api/v2/users", nil, 423)                // disabled
	call(gw.Key(proxytest.ReaderExpired), "GET", "/api/v2/users", nil, 401)                 // expired
	call(gw.Key(proxytest.Reader), "GET", "/api/v2/groups", nil, 403)                       // scope
	call(gw.Key(proxytest.Reader), "GET", "/api/v2/users/%2e%2e/groups", nil, 400)          // path
	call(gw.Key(proxytest.Reader), "GET", "/api/v2/nowhere", nil, 404)                      // route
	call(gw.Key(proxytest.Writer), "POST", "/api/v2/groups", strings.NewReader(big()), 413) // body
	call(gw.Key(proxytest.Admin), "GET", "/api/v2/users", nil, 429)                         // the upstream's own 429
	call(gw.Key(proxytest.Reader), "GET", "/api/v2/users", nil, 429)                        // locked out
	if n := gw.Metric(t, "gateway_upstream_rate_limited_total"); n != 1 {
		t.Fatalf("gateway_upstream_rate_limited_total = %v: the workload did not draw an upstream 429", n)
	}

	secrets := map[string]string{"the org token": gw.OrgToken, "a wrong key": wrong.Raw, "a wrong key's secret": wrong.Secret()}
	for id, k := range gw.Keys {
		secrets["key "+id] = k.Raw
		secrets["the secret of key "+id] = k.Secret()
	}
	places := map[string]string{"the logs": gw.Logs.Text(), "/metrics": gw.MetricsText(t)}
	for i, a := range gw.Seen() {
		var b strings.Builder
		_ = a.Header.Write(&b)
		b.Write(a.Body)
		places[fmt.Sprintf("answer %d (status %d)", i+1, a.Status)] = b.String()
	}
	if !strings.Contains(places["the logs"], `"msg":"request"`) {
		t.Fatal("the logs hold no access line: the search would prove nothing")
	}
	for where, text := range places {
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s contain %s", where, what)
			}
		}
	}
}

func big() string { return `{"name":"` + strings.Repeat("z", 4096) + `"}` }
