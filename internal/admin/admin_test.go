package admin_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest/observer"

	"github.com/budgetgw/gateway/internal/proxytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const adminToken = "admin-token-for-tests-3b9e"

func startAdmin(t *testing.T, server string) *proxytest.Gateway {
	t.Helper()
	t.Setenv("ADMIN_TEST_TOKEN", adminToken)
	up := proxytest.StartRetool(t, proxytest.RetoolOptions{}) // any upstream will do
	return proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
server: %s
admin: {token_env: ADMIN_TEST_TOKEN}
upstreams:
  - {name: retool, base_url: %q, profile: retool-v2, spec: {enabled: false}, auth: {token_file: %q}}
callers:
  - {name: svc, scopes: [users:read]}
`, server, up.URL, proxytest.SecretFile(t, "org-token-unused-here"))})
}

func adminCall(t *testing.T, g *proxytest.Gateway, token, actor string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.AdminURL+"/admin/v1/callers/svc/keys", strings.NewReader(`{"name":"k"}`))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if actor != "" {
		req.Header.Set("X-Actor", actor)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// On main a wrong admin token could be tried without limit and left no trace. Now each
// failure is logged (never what was sent) and counted, and past the limit the address is
// refused whatever it sends, so a guesser cannot tell when it has won.
func TestFailedAdminLoginsAreLoggedAndThrottled(t *testing.T) {
	g := startAdmin(t, "{}")
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	wrong := "guess-" + strings.Repeat("x", 20)
	cases := []struct {
		name  string
		token string
		want  int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"a wrong token", wrong, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if s := adminCall(t, g, tc.token, "").StatusCode; s != tc.want {
				t.Fatalf("answered %d; want %d", s, tc.want)
			}
		})
	}
	for i := 2; i < 10; i++ {
		if s := adminCall(t, g, wrong, "").StatusCode; s != http.StatusUnauthorized {
			t.Fatalf("failure %d answered %d; want 401", i+1, s)
		}
	}
	resp := adminCall(t, g, adminToken, "")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the right token after 10 failures answered %d (Retry-After %q); want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := len(g.Logs.All()) - countOther(g); n < 10 {
		t.Errorf("%d login warnings; want one per failure (10)", n)
	}
	if strings.Contains(g.Logs.Text(), wrong) || strings.Contains(g.Logs.Text(), adminToken) {
		t.Error("a log line carries a token that was sent")
	}
	for reason, want := range map[string]float64{"missing": 1, "wrong": 9, "throttled": 1} {
		if got := g.Metric(t, "gateway_admin_auth_failures_total", "reason", reason); got != want {
			t.Errorf("gateway_admin_auth_failures_total{reason=%q} = %v; want %v", reason, got, want)
		}
	}
}

// X-Actor is whatever the client says; the audit line keeps it apart from what was
// verified.
func TestTheAuditLineSaysTheActorIsClaimed(t *testing.T) {
	g := startAdmin(t, "{}")
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	if s := adminCall(t, g, adminToken, "mallory").StatusCode; s != http.StatusCreated {
		t.Fatalf("create key answered %d; want 201", s)
	}
	e := g.Logs.Await(t, "the audit line", func(e observer.LoggedEntry) bool { return e.Message == "audit" })
	m := e.ContextMap()
	if m["actor_claimed"] != "mallory" || !strings.HasPrefix(fmt.Sprint(m["who"]), "admin-token@") {
		t.Fatalf("audit line %v; want who admin-token@..., actor_claimed mallory", m)
	}
}

// On main the admin listener had no idle timeout: an idle keep-alive connection, or one
// that sent half a request, stayed open for ever. It gets the public listener's timeouts.
func TestTheAdminListenerClosesIdleAndStalledConnections(t *testing.T) {
	g := startAdmin(t, "{read_header_timeout: 300ms, read_timeout: 300ms, idle_timeout: 300ms}")
	cases := []struct {
		name string
		send string
	}{
		{"idle after a request", "GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n"},
		{"half a body", "PUT /admin/v1/callers/svc HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer " + adminToken + "\r\nContent-Length: 100\r\n\r\n{\"scopes\":"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", strings.TrimPrefix(g.AdminURL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second)) // generous; the server's is 300ms
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(c)
			for {
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Fatalf("the admin listener kept the connection open: %v", err)
					}
					return // closed by the server: what we want
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// countOther counts log lines that are not failed-login warnings.
func countOther(g *proxytest.Gateway) int {
	n := 0
	for _, e := range g.Logs.All() {
		if e.Message != "admin login failed" {
			n++
		}
	}
	return n
}
