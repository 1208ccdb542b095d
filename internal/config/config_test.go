package config

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestTheExampleAndTheEmbeddedDefaultLoad(t *testing.T) {
	c, err := Load(filepath.Join(repoRoot(t), "config.example.yaml"))
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	u := c.Upstreams[0]
	if u.Budget.Capacity != 300 || u.Budget.Window != time.Minute || u.Auth.Header != "Authorization" {
		t.Fatalf("example upstream budget %+v auth %+v: want the Retool defaults", u.Budget, u.Auth)
	}
	if _, err := Parse(bytes.NewReader(Default())); err != nil {
		t.Fatalf("embedded default: %v", err)
	}
}

func TestProfileFillsTheBudgetAndAuth(t *testing.T) {
	c, err := Parse(strings.NewReader(`
upstreams:
  - {name: retable, base_url: "https://api.retable.io", profile: retable-v1, auth: {token_env: X}}
`))
	if err != nil {
		t.Fatal(err)
	}
	u := c.Upstreams[0]
	if u.Budget.Capacity != 12 || u.Budget.Window != time.Second || u.Auth.Scheme != "header" || u.Auth.Header != "ApiKey" {
		t.Fatalf("retable upstream %+v: want 12 per 1s and the ApiKey header from the profile", u)
	}
}

func TestUnknownKeysAreErrors(t *testing.T) {
	_, err := Parse(strings.NewReader("server: {listen: ':1', listne: ':2'}\nupstreams: []\n"))
	if err == nil || !strings.Contains(err.Error(), "listne") {
		t.Fatalf("error %v; want one naming the misspelt key", err)
	}
}

func TestEveryProblemIsReportedWithItsField(t *testing.T) {
	_, err := Parse(strings.NewReader(`
redis: {on_failure: shrug, replicas: -1}
upstreams:
  - name: Retool
    base_url: ftp://x
    profile: retool-v9
    auth: {scheme: basic}
    token_scopes: ["users:re ad"]
    budget: {capacity: -1, window: -1s, reserve: 5}
  - {name: b, mount: /b, base_url: "https://b", profile: retool-v2, auth: {token_env: T}, budget: {window: 0s}}
callers:
  - name: svc
    scopes: [users:rite, "bad scope"]
    priority: urgent
    keys: [{id: "Has_Underscore", sha256: "abc"}]
  - name: svc
`))
	if err == nil {
		t.Fatal("a broken config was accepted")
	}
	for _, want := range []string{
		"redis.on_failure", "redis.replicas", "upstreams[0].name", "upstreams[0].base_url", "upstreams[0].profile",
		"upstreams[0].auth.scheme", "upstreams[0].auth (", "upstreams[0].token_scopes", "upstreams[0].budget.capacity",
		"upstreams[0].budget.window", "callers[0].scopes", "callers[0].priority", "callers[0].keys[0].id",
		"callers[0].keys[0].sha256", "callers[1].name",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no problem reported for %s in:\n%v", want, err)
		}
	}
}

func TestSharedBudgetsMustAgree(t *testing.T) {
	_, err := Parse(strings.NewReader(`
upstreams:
  - {name: a, mount: /a, base_url: "https://a", profile: retool-v2, auth: {token_env: T}, budget: {name: org}}
  - {name: b, mount: /b, base_url: "https://b", profile: retool-v2, auth: {token_env: T}, budget: {name: org, capacity: 100}}
`))
	if err == nil || !strings.Contains(err.Error(), "upstreams[1].budget") {
		t.Fatalf("error %v; want upstreams[1].budget named", err)
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

func TestAnExplicitZeroWaitAndLockoutStayZero(t *testing.T) {
	c, err := Parse(strings.NewReader(`
upstreams:
  - {name: a, base_url: "https://a", profile: retool-v2, auth: {token_env: T}, budget: {max_wait: 0s, lockout: 0s}}
  - {name: b, mount: /b, base_url: "https://b", profile: retool-v2, auth: {token_env: T}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Upstreams[0].Budget; a.MaxWaitOrZero() != 0 || a.LockoutOrZero() != 0 {
		t.Fatalf("explicit zeros became %v and %v", a.MaxWaitOrZero(), a.LockoutOrZero())
	}
	if b := c.Upstreams[1].Budget; b.MaxWaitOrZero() != 5*time.Second || b.LockoutOrZero() != time.Minute {
		t.Fatalf("defaults %v and %v; want 5s and the profile's 60s", b.MaxWaitOrZero(), b.LockoutOrZero())
	}
}

func TestAnEmptyTokenScopeListIsRefusedNotWidened(t *testing.T) {
	_, err := Parse(strings.NewReader(`
upstreams:
  - {name: a, base_url: "https://a", profile: retool-v2, auth: {token_env: T}, token_scopes: []}
`))
	if err == nil || !strings.Contains(err.Error(), "upstreams[0].token_scopes") {
		t.Fatalf("error %v; want upstreams[0].token_scopes named", err)
	}
}

func TestPatientCallersWaitWithinTheCeiling(t *testing.T) {
	c, err := Parse(strings.NewReader(`
upstreams:
  - {name: a, base_url: "https://a", profile: retool-v2, auth: {token_env: T}}
callers:
  - {name: terraform, scopes: ["*"], max_wait: 2m}
  - {name: web, scopes: ["*"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Upstreams[0].Budget.MaxWaitCeiling; got != 2*time.Minute {
		t.Errorf("max_wait_ceiling defaults to %v, want 2m", got)
	}
	if w := c.Callers[0].MaxWait; w == nil || *w != 2*time.Minute {
		t.Errorf("callers[0].max_wait = %v, want 2m", w)
	}
	if c.Callers[1].MaxWait != nil {
		t.Errorf("callers[1].max_wait = %v, want unset (the upstream's max_wait)", *c.Callers[1].MaxWait)
	}
	_, err = Parse(strings.NewReader(`
upstreams:
  - {name: a, base_url: "https://a", profile: retool-v2, auth: {token_env: T}, budget: {max_wait: 3m}}
  - {name: b, mount: /b, base_url: "https://b", profile: retool-v2, auth: {token_env: T}, budget: {max_wait_ceiling: 10m}}
callers:
  - {name: batch, scopes: ["*"], max_wait: 5m}
  - {name: odd, scopes: ["*"], max_wait: -1s}
`))
	for _, want := range []string{
		"upstreams[0].budget.max_wait (line 3): 3m0s is above budget.max_wait_ceiling (2m0s)",
		"callers[0].max_wait (line 6): 5m0s is above upstreams[0].budget.max_wait_ceiling (2m0s)",
		"callers[1].max_wait (line 7): must be >= 0",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "upstreams[1].budget.max_wait_ceiling (10m") {
		t.Errorf("a wait within upstreams[1]'s ceiling was reported:\n%v", err)
	}
}
