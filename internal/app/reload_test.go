package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/keys"
)

func TestARefusedReloadLogsOneLineNamingEveryErrorWithoutAStackTrace(t *testing.T) {
	t.Setenv("APP_TEST_ORG_TOKEN", "org")
	good := `
upstreams:
  - {name: retool, base_url: "https://api.retool.com", profile: retool-v2, auth: {token_env: APP_TEST_ORG_TOKEN}}
`
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	// Production loggers add stack traces to errors: the refusal must not carry one.
	a, err := app.New(cfg, app.Options{Logger: zap.New(core, zap.AddStacktrace(zapcore.ErrorLevel))})
	if err != nil {
		t.Fatal(err)
	}

	bad := good + "callers:\n  - {name: svc, scopes: [user:read]}\n  - {name: ops, scopes: [users:read], priorty: batch}\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.ReloadFile(path); err == nil {
		t.Fatal("a broken file was applied")
	}
	entries := logs.FilterMessageSnippet("reload refused").All()
	if len(entries) != 1 {
		t.Fatalf("%d log lines about the refusal; want one: %v", len(entries), logs.All())
	}
	e := entries[0]
	if e.Stack != "" {
		t.Errorf("the refusal carries a stack trace:\n%s", e.Stack)
	}
	errs, _ := e.ContextMap()["errors"].([]any)
	if len(errs) != 2 || !strings.HasPrefix(errs[0].(string), "callers[1].priorty (line 6): unknown key") || !strings.HasPrefix(errs[1].(string), "callers[0].scopes (line 5)") {
		t.Errorf("errors = %v; want the misspelt key and the scope, each once with its line", errs)
	}
}

// The reproduction of issue 16: a run-time setting stored for a file caller (as an older
// version allowed) used to beat the file even after a reload. Now the file wins, at start
// and after every reload.
func TestAReloadAppliesTheFileOverAnyStoredSetting(t *testing.T) {
	t.Setenv("APP_TEST_ORG_TOKEN", "org")
	doc := func(scope string) string {
		return `
upstreams:
  - {name: retool, base_url: "https://api.retool.com", profile: retool-v2, auth: {token_env: APP_TEST_ORG_TOKEN}}
callers:
  - {name: support-tools, scopes: [` + scope + `]}
`
	}
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(doc("users:read")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	store := keys.NewMemory()
	if err := store.Update(t.Context(), func(s *keys.State) error {
		s.Callers["support-tools"] = keys.CallerSettings{Name: "support-tools", Scopes: []string{"groups:read"}, Priority: "batch"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, app.Options{Keys: store})
	if err != nil {
		t.Fatal(err)
	}
	scopesOf := func() []string {
		for _, c := range a.Keys().Callers() {
			if c.Name == "support-tools" {
				if c.Source != keys.SourceFile {
					t.Errorf("support-tools source %q; want file", c.Source)
				}
				return c.Scopes
			}
		}
		t.Fatal("support-tools is not listed")
		return nil
	}
	if got := scopesOf(); len(got) != 1 || got[0] != "users:read" {
		t.Fatalf("at start: scopes %v; want the file's [users:read]", got)
	}
	if err := os.WriteFile(path, []byte(doc("apps:read")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.ReloadFile(path); err != nil {
		t.Fatal(err)
	}
	if got := scopesOf(); len(got) != 1 || got[0] != "apps:read" {
		t.Fatalf("after a reload: scopes %v; want the file's [apps:read]", got)
	}
}
