package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheckSkipSourcesAcceptsTheExampleWithoutTheOrgTokenInTheEnvironment(t *testing.T) {
	// -skip-sources checks a file away from where it runs (in CI): no token needed.
	t.Setenv("RETOOL_API_TOKEN", "")
	if err := os.Unsetenv("RETOOL_API_TOKEN"); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer

	err := run(t.Context(), []string{"config", "check", "-skip-sources", "-config", filepath.Join("..", "..", "config.example.yaml")}, &stdout, &stderr)

	if err != nil {
		t.Fatalf("config check on config.example.yaml: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "is valid") {
		t.Errorf("stdout does not say the file is valid:\n%s", stdout.String())
	}
}

func TestConfigCheckNamesEveryBadField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		file string
		want []string
	}{
		{
			name: "every invalid value is reported at once, each with its field",
			file: `
upstreams:
  - name: retool
    base_url: https://api.retool.com
    profile: retool-v2
    auth: {scheme: bearer, token_env: RETOOL_API_TOKEN}
    budget: {capacity: 300, window: -1s, max_wait: -5s}
callers:
  - name: billing-sync
    scopes: ["users:re ad"]
    priority: urgent
    keys: [{id: Billing_2026, sha256: "not-hex"}]
`,
			want: []string{
				"upstreams[0].budget.window (line 7): must be > 0",
				"upstreams[0].budget.max_wait (line 7): must be >= 0",
				"callers[0].scopes",
				"callers[0].priority",
				"callers[0].keys[0].id",
				"callers[0].keys[0].sha256",
			},
		},
		{
			name: "a misspelt key is an error, not a silent default",
			file: `
upstreams:
  - name: retool
    base_url: https://api.retool.com
    profile: retool-v2
    auth: {token_env: RETOOL_API_TOKEN}
    budgte: {capacity: 300}
`,
			want: []string{"budgte"},
		},
		{
			name: "an org token written into the file is refused",
			file: `
upstreams:
  - name: retool
    base_url: https://api.retool.com
    profile: retool-v2
    auth: {token: retool_pasted_secret}
`,
			want: []string{"token"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "gateway.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer

			err := run(t.Context(), []string{"config", "check", "-config", path}, &stdout, &stderr)

			var failed checkFailed
			if !errors.As(err, &failed) || exitCode(err) != 1 {
				t.Fatalf("err = %v (exit %d), want a failed check (exit 1)", err, exitCode(err))
			}
			printError(&stderr, err) // what main adds: nothing, the check printed it
			seen := map[string]bool{}
			for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				if seen[line] {
					t.Errorf("stderr says twice: %s", line)
				}
				seen[line] = true
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not name %q:\n%s", w, stderr.String())
				}
			}
			if strings.Contains(stderr.String(), "retool_pasted_secret") {
				t.Errorf("the report repeats a secret from the file:\n%s", stderr.String())
			}
		})
	}
}
