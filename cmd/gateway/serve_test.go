package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/app"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestServeWithoutAFileSaysWhatItRunsAndWhatIsMissing(t *testing.T) {
	_, notice, err := embeddedDefault(env(nil))
	if err == nil || !strings.Contains(err.Error(), "RETOOL_API_TOKEN") || !strings.Contains(notice, "Missing: $RETOOL_API_TOKEN") {
		t.Errorf("without the org token: err %v, notice:\n%s\nwant both to name RETOOL_API_TOKEN", err, notice)
	}

	cfg, notice, err := embeddedDefault(env(map[string]string{"RETOOL_API_TOKEN": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Admin.Enabled() {
		t.Error("the admin API is on without GATEWAY_ADMIN_TOKEN")
	}
	for _, want := range []string{"embedded default", "https://api.retool.com", "in-memory budget", "every call gets 401", "GATEWAY_ADMIN_TOKEN", "serve -config FILE"} {
		if !strings.Contains(notice, want) {
			t.Errorf("the notice does not say %q:\n%s", want, notice)
		}
	}

	cfg, notice, err = embeddedDefault(env(map[string]string{"RETOOL_API_TOKEN": "x", "GATEWAY_ADMIN_TOKEN": "adm"}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Admin.Enabled() || cfg.Admin.Env != "GATEWAY_ADMIN_TOKEN" {
		t.Errorf("admin = %+v; want the admin API on, its token from GATEWAY_ADMIN_TOKEN", cfg.Admin)
	}
	if !strings.Contains(notice, "admin API is on") || !strings.Contains(notice, "gateway keys new -caller my-service -admin-url http://127.0.0.1:9090") {
		t.Errorf("the notice does not say how to add a caller:\n%s", notice)
	}
	if strings.Contains(notice, "adm\n") || strings.Contains(notice, "\"adm\"") {
		t.Error("the notice shows the admin token")
	}
}

func TestTheEmbeddedDefaultWithAnAdminTokenServesTheAdminAPIOnMemory(t *testing.T) {
	t.Setenv("RETOOL_API_TOKEN", "org-token-for-the-trial")
	t.Setenv(adminTokenEnv, "trial-admin-token")
	cfg, _, err := embeddedDefault(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := a.AdminHandler()
	for _, tc := range []struct{ method, path, body string }{
		{"PUT", "/admin/v1/callers/my-service", `{"scopes":["users:read"]}`},
		{"POST", "/admin/v1/callers/my-service/keys", `{}`},
		{"GET", "/admin/v1/callers", ""},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer trial-admin-token")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code/100 != 2 {
			t.Errorf("%s %s = %d %s", tc.method, tc.path, rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var health map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &health); err != nil || health["status"] != "ok" || health["version"] == "" {
		t.Errorf("/healthz = %s (%v); want JSON with status and version", rec.Body, err)
	}
}

func TestCheckPrintsJSONForScripts(t *testing.T) {
	dead := httptest.NewServer(nil)
	dead.Close()
	t.Setenv("CHECK_JSON_TOKEN", "x")
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	doc := "upstreams:\n  - {name: r, base_url: \"" + dead.URL + "\", profile: retool-v2, auth: {token_env: CHECK_JSON_TOKEN}}\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"check", "-config", path, "-o", "json", "-skip-token", "-timeout", "2s"}, &stdout, &stderr)
	if exitCode(err) != 1 {
		t.Fatalf("err %v; want a failed check", err)
	}
	var out struct {
		OK    bool
		Steps []struct{ Target, Step, Result, Detail string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || out.OK || len(out.Steps) == 0 {
		t.Fatalf("check -o json printed %s (%v)", stdout.String(), err)
	}
	failed := false
	for _, s := range out.Steps {
		failed = failed || s.Result == "failed" && s.Step == "connect"
	}
	if !failed {
		t.Errorf("no failed connect step in %+v", out.Steps)
	}
}
