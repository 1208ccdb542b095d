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
