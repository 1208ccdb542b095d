package proxy_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/sandbox"
)

func TestAnUpstream401ForAnAllowedCallMarksTheOrgTokenSuspect(t *testing.T) {
	t.Parallel()
	// The upstream knows another token than the one the gateway was given.
	_, base := proxytest.StartSandbox(t, sandbox.Options{Token: "the-token-retool-knows"}, "retool-v2")
	key := proxytest.NewKey("svc-1")
	gw := proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
upstreams:
  - {name: retool, base_url: %q, profile: retool-v2, auth: {token_file: %q}}
callers:
  - {name: svc, scopes: [users:read], keys: [{id: svc-1, sha256: %q}]}
`, base, proxytest.SecretFile(t, "a-revoked-org-token"), key.SHA256)})

	if got := gw.Metric(t, "gateway_upstream_auth_errors_total", "upstream", "retool"); got != 0 {
		t.Fatalf("before any call the counter is %v; want 0 (present, so an alert sees the first)", got)
	}
	resp := gw.Call(t, http.MethodGet, "/api/v2/users", key.Raw, nil)
	if resp.Status != http.StatusUnauthorized {
		t.Fatalf("status %d; want the upstream's 401 passed on", resp.Status)
	}
	if got := gw.Metric(t, "gateway_upstream_auth_errors_total", "upstream", "retool"); got != 1 {
		t.Errorf("gateway_upstream_auth_errors_total = %v; want 1", got)
	}
	warn := gw.Logs.Await(t, "a warning that the org token is suspect", func(e observer.LoggedEntry) bool {
		return e.Level == zapcore.WarnLevel && e.ContextMap()["upstream"] == "retool" && e.ContextMap()["status"] == int64(401)
	})
	if msg := warn.Message; !strings.Contains(msg, "org token is suspect") {
		t.Errorf("warning %q does not say the org token is suspect", msg)
	}
	if strings.Contains(gw.Logs.Text(), "a-revoked-org-token") {
		t.Error("the org token appears in the logs")
	}
}
