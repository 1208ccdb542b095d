package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const okUpstream = `
upstreams:
  - name: retool
    base_url: https://api.retool.com
    profile: retool-v2
    auth: {token_env: T}
`

// errorLines parses doc and returns its error's lines (nil when accepted).
func errorLines(t *testing.T, doc string) []string {
	t.Helper()
	_, err := Parse(strings.NewReader(doc))
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestConfigErrorsNameTheKeyPathAndLineInPlainWords(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string // the only error lines, in any order
	}{
		{
			name: "a misspelt key names its path and line and the key meant",
			doc: `upstreams:
  - name: retool
    base_url: https://api.retool.com
    profile: retool-v2
    auth: {token_env: T}
    budget:
      capcity: 100
`,
			want: []string{`upstreams[0].budget.capcity (line 7): unknown key "capcity"; did you mean capacity? (known here: name, capacity, window, lockout, max_wait, reserve`},
		},
		{
			name: "a number for a duration asks for a unit, in words",
			doc:  okUpstream + "    budget: {window: 60}\n",
			want: []string{`upstreams[0].budget.window (line 7): must be a duration like 60s (a number needs a unit: ms, s, m, h), not 60`},
		},
		{
			name: "a list where a map belongs says so",
			doc:  "server: [a, b]\n" + okUpstream,
			want: []string{`server (line 1): must be a map of keys (listen, admin_listen`},
		},
		{
			name: "a word for a number says a whole number",
			doc:  "redis: {replicas: two}\n" + okUpstream,
			want: []string{`redis.replicas (line 1): must be a whole number, not "two"`},
		},
		{
			name: "an unknown profile is one error, not a bogus budget error besides",
			doc:  strings.Replace(okUpstream, "retool-v2", "retool-v9", 1),
			want: []string{`upstreams[0].profile (line 5): load profile "retool-v9": unknown profile (known: retable-v1, retool-v2)`},
		},
		{
			name: "window: 0s is refused like -5s, not silently replaced by the default",
			doc:  okUpstream + "    budget: {window: 0s}\n",
			want: []string{`upstreams[0].budget.window (line 7): must be > 0 (leave the key out for the default, 1m0s)`},
		},
		{
			name: "a negative window is refused with its line",
			doc:  okUpstream + "    budget: {window: -5s}\n",
			want: []string{`upstreams[0].budget.window (line 7): must be > 0`},
		},
		{
			name: "an address without a port is refused before serve would fail",
			doc:  "server: {listen: localhost}\n" + okUpstream,
			want: []string{`server.listen (line 1): "localhost" must be host:port, e.g. :8080 or 127.0.0.1:9090`},
		},
		{
			name: "a log level the logger would refuse at start is refused here",
			doc:  "log: {level: loud}\n" + okUpstream,
			want: []string{`log.level (line 1): must be debug, info, warn or error, not "loud"`},
		},
		{
			name: "scope typos are refused with the closest valid name",
			doc: okUpstream + `    token_scopes: ["users:raed"]
callers:
  - name: svc
    scopes: [user:read, groups:wirte]
`,
			want: []string{
				`upstreams[0].token_scopes (line 7): unknown scope "users:raed": no route requires it; did you mean users:read?`,
				`callers[0].scopes (line 10): unknown scope "user:read": no route requires it; did you mean users:read?; unknown scope "groups:wirte": no route requires it; did you mean groups:write?`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errorLines(t, tc.doc)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d error lines, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					found = found || strings.HasPrefix(g, w)
				}
				if !found {
					t.Errorf("no error line starting\n  %s\nin\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			for _, g := range got {
				if goName := regexp.MustCompile(`time\.Duration|int64|!!int|config\.[A-Z]|into `).FindString(g); goName != "" {
					t.Errorf("error speaks Go (%s): %s", goName, g)
				}
			}
		})
	}
}

func TestEveryAcceptedKeyIsKnownToTheWalk(t *testing.T) {
	paths := KeyPaths()
	for _, want := range []string{"server.listen", "redis.password.token_env", "admin.token_env", "log.level",
		"upstreams[].budget.capacity", "upstreams[].routes[].scope", "callers[].keys[].sha256"} {
		found := false
		for _, p := range paths {
			found = found || p == want
		}
		if !found {
			t.Errorf("KeyPaths lacks %s: %v", want, paths)
		}
	}
}

func TestCheckSourcesFindsWhatServeWouldMissAtStart(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "token")
	if err := os.WriteFile(good, []byte("secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GW_TEST_SET", "x")
	c, err := Parse(strings.NewReader(`
admin: {token_env: GW_TEST_UNSET_ADMIN}
upstreams:
  - {name: a, base_url: "https://a", profile: retool-v2, auth: {token_file: ` + filepath.Join(dir, "missing") + `}}
  - {name: b, mount: /b, base_url: "https://b", profile: retool-v2, auth: {token_env: GW_TEST_UNSET}}
  - {name: c, mount: /c, base_url: "https://c", profile: retool-v2, auth: {token_file: ` + good + `}}
  - {name: d, mount: /d, base_url: "https://d", profile: retool-v2, auth: {token_env: GW_TEST_SET}}
`))
	if err != nil {
		t.Fatal(err)
	}
	err = c.CheckSources()
	if err == nil {
		t.Fatal("missing token sources passed")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		"upstreams[0].auth.token_file (line 4): read token file",
		"upstreams[1].auth.token_env (line 5): environment variable GW_TEST_UNSET is not set",
		"admin.token_env (line 2): environment variable GW_TEST_UNSET_ADMIN is not set",
	}
	if len(got) != len(want) {
		t.Fatalf("errors:\n%s\nwant %d", err, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d: %s\nwant it to start %s", i, got[i], want[i])
		}
	}
	if strings.Contains(err.Error(), "secret-value") {
		t.Fatal("a token's value appeared in an error")
	}
}
