package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParseConfig feeds Parse arbitrary files. Parse must never panic, and whatever it
// accepts must be a fixed point: valid, with its defaults already applied, and the same
// configuration once written back as YAML and parsed again (so `config check`, a reload
// and a file generated from a parsed config all mean one thing).
func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"config.example.yaml", "deploy/compose/gateway.yaml", "deploy/kubernetes/config.yaml"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", name)); err == nil {
			f.Add(string(b))
		}
	}
	f.Add(string(Default()))
	f.Add(`
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0", shutdown_grace: 1s}
redis: {addrs: [a:1, b:2], master_name: m, timeout: 50ms, replicas: 3, on_failure: fail_closed}
admin: {token_file: /run/admin, max_active_keys: 3}
upstreams:
  - name: retool
    base_url: "https://api.retool.com/"
    profile: retool-v2
    auth: {token_env: T}
    token_scopes: ["users:read", "groups"]
    budget: {capacity: 300, window: 60s, lockout: 0s, max_wait: 0s, reserve: 20}
    routes:
      - {method: GET, path: /api/v2/things/{id}, family: things, scope: things:read, cost: 3}
  - {name: retable, mount: /retable, base_url: "https://api.retable.io", profile: retable-v1, auth: {token_file: /t}}
callers:
  - name: billing
    scopes: ["*:read"]
    priority: batch
    max_points: 40
    keys:
      - {id: billing-1, sha256: "0000000000000000000000000000000000000000000000000000000000000000", expires: 2030-01-02T03:04:05+02:00}
      - {id: billing-2, sha256: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", disabled: true}
`)
	f.Add("upstreams: [{name: a, base_url: 'http://a', routes: [{method: GET, path: /x, family: x, scope: 'x:read'}], auth: {token_env: T}}]\n")
	f.Add("server: {listne: ':1'}\n")
	f.Add("upstreams: &a [*a]\n")
	f.Add("")

	f.Fuzz(func(t *testing.T, doc string) {
		c, err := Parse(strings.NewReader(doc))
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a config with the error %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that Validate refuses: %v", err)
		}
		first, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("an accepted config does not marshal: %v", err)
		}
		again, err := Parse(bytes.NewReader(first))
		if err != nil {
			t.Fatalf("an accepted config, written back, is refused: %v\n%s", err, first)
		}
		second, err := yaml.Marshal(again)
		if err != nil {
			t.Fatalf("marshal again: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("the config changed on a round trip:\n%s\n--- became ---\n%s", first, second)
		}
		if err := again.applyDefaults(); err != nil {
			t.Fatalf("defaults applied twice: %v", err)
		}
		if third, _ := yaml.Marshal(again); !bytes.Equal(first, third) {
			t.Fatalf("applying the defaults again changed the config:\n%s\n--- became ---\n%s", first, third)
		}
	})
}
