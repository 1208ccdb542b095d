package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/budgetgw/gateway/internal/admin"
	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/keys"
	"github.com/budgetgw/gateway/internal/scopes"
	"github.com/budgetgw/gateway/internal/secret"
)

// adminToken is long and unusual so that finding it in any output is proof of a leak.
const adminToken = "adm-7Qx2-never-print-me-9Zk4"

// adminEnv is a real admin API over an in-memory key store, and every byte the CLI
// printed while talking to it.
type adminEnv struct {
	t     *testing.T
	url   string
	audit *observer.ObservedLogs

	mu   sync.Mutex
	ring *auth.Keyring
	keys *keys.Manager

	out bytes.Buffer // all stdout and stderr, and every returned error, for the leak check
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	core, audit := observer.New(zap.InfoLevel)
	e := &adminEnv{t: t, audit: audit}
	m, err := keys.NewManager(t.Context(), keys.Options{
		Store:   keys.NewMemory(),
		Callers: []config.Caller{{Name: "svc", Scopes: []string{"users:read"}, Priority: "normal"}},
		Apply:   func(kr *auth.Keyring) { e.mu.Lock(); e.ring = kr; e.mu.Unlock() },
		Audit:   zap.New(core),
		KnownScopes: scopes.NewCatalogue(scopes.Scope{Family: "users", Level: "read"}, scopes.Scope{Family: "groups", Level: "write"},
			scopes.Scope{Family: "apps", Level: "read"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.keys = m
	srv := httptest.NewServer(admin.Handler(admin.Options{
		Token: secret.New(adminToken), Keys: m,
		Usage: func(context.Context) map[string]map[string]int64 {
			return map[string]map[string]int64{"retool": {"svc": 42}}
		},
	}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	t.Setenv(adminTokenEnv, adminToken)
	t.Setenv(adminURLEnv, "")
	t.Cleanup(func() {
		if strings.Contains(e.out.String(), adminToken) {
			t.Errorf("the admin token appeared in the CLI's output:\n%s", e.out.String())
		}
	})
	return e
}

// gw runs the command against the admin API and returns its stdout.
func (e *adminEnv) gw(args ...string) (string, error) {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(e.t.Context(), append(args, "-admin-url", e.url), &stdout, &stderr)
	e.out.Write(stdout.Bytes())
	e.out.Write(stderr.Bytes())
	if err != nil {
		e.out.WriteString(err.Error())
	}
	return stdout.String(), err
}

// ok runs a command that must succeed.
func (e *adminEnv) ok(args ...string) string {
	e.t.Helper()
	out, err := e.gw(args...)
	if err != nil {
		e.t.Fatalf("gateway %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// authenticates reports whether the gateway's keyring now accepts key.
func (e *adminEnv) authenticates(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, failure := e.ring.Authenticate(key, time.Now())
	return failure == auth.OK
}

var printedKeyID = regexp.MustCompile(`Key id \(for list, disable, rotate, delete\): (\S+)`)

// created reads the secret and key id printed by keys new or keys rotate.
func created(t *testing.T, out string) (key, id string) {
	t.Helper()
	keys, ids := printedKey.FindAllStringSubmatch(out, -1), printedKeyID.FindStringSubmatch(out)
	if len(keys) != 1 || ids == nil {
		t.Fatalf("want exactly one secret and a key id in the output:\n%s", out)
	}
	if !strings.Contains(out, "shown once") {
		t.Errorf("the secret is not marked as shown once:\n%s", out)
	}
	return keys[0][1], ids[1]
}

// row is the key list's row for id, its cells split on runs of two or more spaces.
func row(t *testing.T, list, id string) []string {
	t.Helper()
	for line := range strings.SplitSeq(list, "\n") {
		if strings.HasPrefix(line, id+" ") {
			return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
		}
	}
	return nil
}

func TestKeyLifecycleThroughTheAdminAPI(t *testing.T) {
	e := newAdminEnv(t)

	first, firstID := created(t, e.ok("keys", "new", "-caller", "svc", "-name", "deploy-a", "-expires-in", "720h"))
	if !e.authenticates(first) {
		t.Fatal("the printed secret does not authenticate at the gateway")
	}

	list := e.ok("keys", "list")
	if !strings.HasPrefix(list, "ID ") || !strings.Contains(list, "LAST USED") {
		t.Errorf("the key list has no header:\n%s", list)
	}
	r := row(t, list, firstID)
	if len(r) != 9 || r[1] != "svc" || r[2] != "deploy-a" || r[3] != "admin" || r[4] != "yes" || r[5] != "no" || r[7] != "-" || r[8] != "-" {
		t.Errorf("row for the new key = %q, want svc deploy-a admin yes no <expiry> - -", r)
	}
	if _, err := time.Parse(time.RFC3339, r[6]); err != nil {
		t.Errorf("EXPIRES %q is not RFC 3339: %v", r[6], err)
	}
	if strings.Contains(list, first) {
		t.Error("keys list shows a secret")
	}

	e.ok("keys", "disable", firstID)
	if r := row(t, e.ok("keys", "list", "-caller", "svc"), firstID); r[4] != "no" || r[5] != "yes" {
		t.Errorf("after disable: row = %q, want ACTIVE no, DISABLED yes", r)
	}
	if e.authenticates(first) {
		t.Error("a disabled key still authenticates")
	}
	e.ok("keys", "enable", firstID)
	if r := row(t, e.ok("keys", "list"), firstID); r[4] != "yes" || r[5] != "no" {
		t.Errorf("after enable: row = %q, want ACTIVE yes, DISABLED no", r)
	}

	second, secondID := created(t, e.ok("keys", "rotate", firstID, "-grace", "1h"))
	if second == first || secondID == firstID {
		t.Fatal("rotate printed the old key")
	}
	if !e.authenticates(second) || !e.authenticates(first) {
		t.Error("during the grace period both the old and the new key must authenticate")
	}
	list = e.ok("keys", "list")
	if r := row(t, list, firstID); r[4] != "rotated to "+secondID {
		t.Errorf("old key's ACTIVE = %q, want %q", r[4], "rotated to "+secondID)
	}
	if r := row(t, list, secondID); r[4] != "yes" {
		t.Errorf("new key's ACTIVE = %q, want yes", r[4])
	}

	_, thirdID := created(t, e.ok("keys", "new", "-caller", "svc"))
	_, err := e.gw("keys", "new", "-caller", "svc")
	var ae apiError
	if !errors.As(err, &ae) || ae.Status != 409 || exitCode(err) != 1 {
		t.Fatalf("a third active key: err = %v (exit %d), want a 409 and exit 1", err, exitCode(err))
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "409 ") || !strings.Contains(msg, secondID) || !strings.Contains(msg, thirdID) {
		t.Errorf("the refusal %q does not name the keys to retire (%s, %s)", msg, secondID, thirdID)
	}

	if out := e.ok("keys", "delete", firstID); !strings.Contains(out, firstID) {
		t.Errorf("delete printed %q, want the key id", out)
	}
	if row(t, e.ok("keys", "list"), firstID) != nil || e.authenticates(first) {
		t.Error("a deleted key is still listed or still authenticates")
	}
	if _, err := e.gw("keys", "delete", firstID); !errors.As(err, &ae) || ae.Status != 404 {
		t.Errorf("deleting it again: err = %v, want a 404", err)
	}

	if n := strings.Count(e.out.String(), second); n != 1 {
		t.Errorf("the rotated-to secret was printed %d times, want once", n)
	}
}

func TestTheActorIsRecordedInTheAuditLog(t *testing.T) {
	e := newAdminEnv(t)
	e.ok("keys", "new", "-caller", "svc", "-actor", "alice")
	entries := e.audit.FilterMessage("audit").All()
	// X-Actor is taken on faith, and the line says so: who is what was verified.
	if len(entries) != 1 || entries[0].ContextMap()["actor_claimed"] != "alice" || !strings.HasPrefix(entries[0].ContextMap()["who"].(string), "admin-token@") {
		t.Errorf("audit entries = %v, want one by admin-token@..., actor_claimed alice", entries)
	}
}

func TestGatewayAdminURLInTheEnvironmentSelectsTheAdminAPI(t *testing.T) {
	e := newAdminEnv(t)
	t.Setenv(adminURLEnv, e.url)
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"keys", "new", "-caller", "svc"}, &stdout, &stderr); err != nil {
		t.Fatalf("keys new: %v\n%s", err, stderr.String())
	}
	key, _ := created(t, stdout.String())
	if !e.authenticates(key) || strings.Contains(stdout.String(), "sha256") {
		t.Errorf("keys new did not create the key live:\n%s", stdout.String())
	}
}

func TestJSONOutputIsTheAPIsJSON(t *testing.T) {
	e := newAdminEnv(t)
	var made struct {
		Key    keys.KeyView `json:"key"`
		Secret string       `json:"secret"`
	}
	if err := json.Unmarshal([]byte(e.ok("keys", "new", "-caller", "svc", "-o", "json")), &made); err != nil || made.Secret == "" || made.Key.ID == "" {
		t.Fatalf("keys new -o json: %v, %+v", err, made)
	}
	var list struct{ Keys []keys.KeyView }
	if err := json.Unmarshal([]byte(e.ok("keys", "list", "-o", "json")), &list); err != nil || len(list.Keys) != 1 || list.Keys[0].ID != made.Key.ID {
		t.Errorf("keys list -o json: %v, %+v", err, list)
	}
	if err := json.Unmarshal([]byte(e.ok("keys", "list", "-caller", "nobody", "-o", "json")), &list); err != nil || len(list.Keys) != 0 {
		t.Errorf("keys list -caller nobody -o json: %v, %+v", err, list)
	}
	var callers struct{ Callers []callerOut }
	if err := json.Unmarshal([]byte(e.ok("callers", "list", "-o", "json")), &callers); err != nil || len(callers.Callers) != 1 || callers.Callers[0].Usage["retool"] != 42 {
		t.Errorf("callers list -o json: %v, %+v", err, callers)
	}
	var deleted map[string]string
	if err := json.Unmarshal([]byte(e.ok("keys", "delete", made.Key.ID, "-o", "json")), &deleted); err != nil || deleted["deleted_key"] != made.Key.ID {
		t.Errorf("keys delete -o json: %v, %v; want the deleted key's id", err, deleted)
	}
}

func TestCallersSetChangesOnlyWhatItIsGiven(t *testing.T) {
	e := newAdminEnv(t)

	e.ok("callers", "set", "reports", "-scopes", "users:read, groups:write")
	list := e.ok("callers", "list")
	if !regexp.MustCompile(`(?m)^reports\s+admin\s+normal\s+none\s+users:read,groups:write\s+0 \(0 active\)\s+retool=0\s*$`).MatchString(list) {
		t.Errorf("the new caller is not listed with its scopes:\n%s", list)
	}
	e.ok("callers", "set", "reports", "-priority", "critical", "-max-points", "50")
	list = e.ok("callers", "list")
	if !regexp.MustCompile(`(?m)^reports\s+admin\s+critical\s+50\s+users:read,groups:write\s+0 \(0 active\)\s+retool=0\s*$`).MatchString(list) {
		t.Errorf("after setting priority and cap, the scopes must be unchanged:\n%s", list)
	}
	if !regexp.MustCompile(`(?m)^svc\s+file\s+normal\s+none\s+users:read\s+`).MatchString(list) {
		t.Errorf("the file's caller is not listed with SOURCE file:\n%s", list)
	}
	e.ok("keys", "new", "-caller", "reports")

	for _, tc := range []struct {
		name   string
		args   []string
		status int // 0: a usage error
	}{
		{"a new caller without scopes", []string{"callers", "set", "typo-svc", "-priority", "batch"}, 0},
		{"nothing to set", []string{"callers", "set", "reports"}, 0},
		{"a malformed scope", []string{"callers", "set", "reports", "-scopes", "Users Read"}, 400},
		{"a priority that does not exist", []string{"callers", "set", "reports", "-priority", "urgent"}, 400},
		{"a caller of the config file", []string{"callers", "set", "svc", "-scopes", "groups:read"}, 409},
		{"a key for a caller that does not exist", []string{"keys", "new", "-caller", "ghost"}, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.gw(tc.args...)
			var ae apiError
			switch {
			case tc.status == 0 && exitCode(err) != 2:
				t.Errorf("err = %v (exit %d), want a usage error", err, exitCode(err))
			case tc.status != 0 && (!errors.As(err, &ae) || ae.Status != tc.status || exitCode(err) != 1):
				t.Errorf("err = %v (exit %d), want a %d and exit 1", err, exitCode(err), tc.status)
			}
		})
	}
}

func TestAdminCommandsExplainAuthenticationAndConnectionFailures(t *testing.T) {
	e := newAdminEnv(t)

	t.Setenv(adminTokenEnv, "not-the-token")
	_, err := e.gw("keys", "list")
	if err == nil || !strings.HasPrefix(err.Error(), "401 ") || exitCode(err) != 1 {
		t.Errorf("a wrong token: err = %v (exit %d), want a 401 and exit 1", err, exitCode(err))
	}

	t.Setenv(adminTokenEnv, "")
	if _, err = e.gw("callers", "list"); err == nil || !strings.Contains(err.Error(), adminTokenEnv) {
		t.Errorf("no token: err = %v, want a message naming %s", err, adminTokenEnv)
	}

	t.Setenv(adminTokenEnv, adminToken)
	dead := httptest.NewServer(nil)
	dead.Close()
	var stdout, stderr bytes.Buffer
	err = run(t.Context(), []string{"keys", "list", "-admin-url", dead.URL}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("a closed admin port: err = %v, want it called unreachable", err)
	}
	e.out.WriteString(stdout.String() + stderr.String() + err.Error())
}

func TestAdminCommandsRefuseBadArgumentsBeforeCallingTheAPI(t *testing.T) {
	e := newAdminEnv(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"disable without an id", []string{"keys", "disable"}},
		{"rotate with two ids", []string{"keys", "rotate", "a", "b"}},
		{"an output format that does not exist", []string{"keys", "list", "-o", "yaml"}},
		{"a caller subcommand that does not exist", []string{"callers", "remove", "svc"}},
		{"-id with the admin API, which picks ids itself", []string{"keys", "new", "-caller", "svc", "-id", "mine"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.gw(tc.args...); exitCode(err) != 2 {
				t.Errorf("err = %v (exit %d), want a usage error", err, exitCode(err))
			}
		})
	}
	if entries := e.audit.All(); len(entries) != 0 {
		t.Errorf("refused commands changed something: %v", entries)
	}
}

func TestOfflineKeysNewRefusesFlagsThatNeedTheAdminAPI(t *testing.T) {
	t.Setenv(adminURLEnv, "")
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"keys", "new", "-caller", "svc", "-expires-in", "24h"}, &stdout, &stderr)
	if exitCode(err) != 2 || !strings.Contains(stderr.String(), adminURLEnv) || strings.Contains(stdout.String(), "gwk_") {
		t.Errorf("err = %v (exit %d), stderr %q: want a usage error naming %s and no key", err, exitCode(err), stderr.String(), adminURLEnv)
	}
}

func TestAFileKeyCanBeDisabledInAnEmergencyAndTheOverlayShows(t *testing.T) {
	e := newAdminEnv(t)
	// newAdminEnv's svc comes from the file without keys; give it one through a reload.
	fileKey, sum := auth.NewKey("svc-file")
	if err := e.keys.SetConfig([]config.Caller{{Name: "svc", Scopes: []string{"users:read"}, Priority: "normal",
		Keys: []config.Key{{ID: "svc-file", SHA256: sum}}}}); err != nil {
		t.Fatal(err)
	}
	e.ok("keys", "disable", "svc-file", "-actor", "oncall")
	r := row(t, e.ok("keys", "list"), "svc-file")
	if len(r) != 9 || r[3] != "file" || r[5] != "yes" || !strings.HasPrefix(r[8], "disabled by oncall (claimed; admin-token@") {
		t.Errorf("row = %q; want SOURCE file, DISABLED yes and the overlay naming oncall", r)
	}
	if e.authenticates(fileKey.Reveal()) {
		t.Error("an emergency-disabled file key still authenticates")
	}
	e.ok("keys", "enable", "svc-file")
	if r := row(t, e.ok("keys", "list"), "svc-file"); r[8] != "-" || !e.authenticates(fileKey.Reveal()) {
		t.Errorf("after enable: row %q; want the overlay lifted and the key working", r)
	}
}

func TestHelpExitsZeroEverywhere(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"serve", "-h"}, {"serve", "--help"}, {"keys", "new", "-h"},
		{"callers", "set", "-h"}, {"config", "check", "-h"}, {"config", "-h"}, {"version", "-h"}, {"demo", "-h"}, {"check", "-h"}} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); err != nil {
			t.Errorf("gateway %s: %v; want success", strings.Join(args, " "), err)
		}
		if stdout.Len()+stderr.Len() == 0 {
			t.Errorf("gateway %s printed no help", strings.Join(args, " "))
		}
	}
}

func TestVersionPrintsTheBuild(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"version", "-o", "json"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil || v["version"] == "" || v["goversion"] == "" {
		t.Errorf("version -o json = %s (%v)", stdout.String(), err)
	}
}

func TestAScopeTypoIsRefusedWithTheClosestName(t *testing.T) {
	e := newAdminEnv(t)
	_, err := e.gw("callers", "set", "reporting", "-scopes", "appz:raed")
	var ae apiError
	if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(err.Error(), "did you mean apps:read?") {
		t.Fatalf("err = %v; want a 400 suggesting apps:read", err)
	}
}

func TestKeysNewHelpShowsNoAdminURLItWouldNotUse(t *testing.T) {
	t.Setenv(adminURLEnv, "")
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"keys", "new", "-h"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	help := stdout.String() + stderr.String()
	if strings.Contains(help, defaultAdminURL) || !strings.Contains(help, "minted offline") {
		t.Errorf("keys new -h should say it mints offline without an admin URL, and show no default URL:\n%s", help)
	}
}
