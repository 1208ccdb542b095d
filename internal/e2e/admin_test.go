package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/sandbox"
)

const adminToken = "admin-token-for-tests-7f3a"

// keyFleet is two replicas on one Redis with the admin API on, in front of a sandbox.
type keyFleet struct {
	replicas []*replica
	orgToken string
	logs     *observer.ObservedLogs
	seen     bytes.Buffer // every response body and header the test received
}

func startKeyFleet(t *testing.T) *keyFleet {
	t.Helper()
	redisSrv := startRedis(t)
	kf := &keyFleet{orgToken: "org-token-e2e-admin-91c2"}
	_, sbURL := proxytest.StartSandbox(t, sandbox.Options{Token: kf.orgToken}, "retool-v2")
	t.Setenv("E2E_ADMIN_ORG_TOKEN", kf.orgToken)
	t.Setenv("E2E_ADMIN_TOKEN", adminToken)
	core, logs := observer.New(zapcore.DebugLevel)
	kf.logs = logs
	for range 2 {
		doc := fmt.Sprintf(`
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0", shutdown_grace: 1s}
redis: {url: %q, replicas: 2}
admin: {token_env: E2E_ADMIN_TOKEN}
upstreams:
  - {name: retool, base_url: %q, profile: retool-v2, auth: {token_env: E2E_ADMIN_ORG_TOKEN}}
callers:
  - {name: svc, scopes: [users:read]}
`, redisSrv.URL(), sbURL)
		kf.replicas = append(kf.replicas, startReplica(t, doc, zap.New(core)))
	}
	return kf
}

// admin calls the admin API of replica i.
func (kf *keyFleet) admin(t *testing.T, i int, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, kf.replicas[i].admin+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("X-Actor", "e2e")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	kf.record(resp, b)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// call makes an API call with key through replica i and returns the status.
func (kf *keyFleet) call(t *testing.T, i int, key string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", kf.replicas[i].base+"/api/v2/users", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	kf.record(resp, b)
	return resp.StatusCode
}

func (kf *keyFleet) record(resp *http.Response, body []byte) {
	_ = resp.Header.Write(&kf.seen)
	kf.seen.Write(body)
}

// eventually polls check until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (kf *keyFleet) newKey(t *testing.T, replica int, caller string) (id, secret string) {
	t.Helper()
	status, out := kf.admin(t, replica, "POST", "/admin/v1/callers/"+caller+"/keys", `{"name":"test"}`)
	if status != http.StatusCreated {
		t.Fatalf("create key: %d %v", status, out)
	}
	return out["key"].(map[string]any)["id"].(string), out["secret"].(string)
}

func TestAdminKeyLifecycleAcrossReplicas(t *testing.T) {
	kf := startKeyFleet(t)
	var secrets []string

	id1, key1 := kf.newKey(t, 0, "svc")
	secrets = append(secrets, key1)
	eventually(t, time.Second, "a new key works on every replica", func() bool {
		return kf.call(t, 0, key1) == http.StatusOK && kf.call(t, 1, key1) == http.StatusOK
	})

	// Disabled on replica 0: 423 on every replica within one second.
	if s, out := kf.admin(t, 0, "POST", "/admin/v1/keys/"+id1+"/disable", ""); s != http.StatusOK {
		t.Fatalf("disable: %d %v", s, out)
	}
	start := time.Now()
	eventually(t, time.Second, "a disabled key answers 423 on every replica", func() bool {
		return kf.call(t, 0, key1) == http.StatusLocked && kf.call(t, 1, key1) == http.StatusLocked
	})
	t.Logf("disable applied on both replicas after %v", time.Since(start))
	if s, _ := kf.admin(t, 1, "POST", "/admin/v1/keys/"+id1+"/enable", ""); s != http.StatusOK {
		t.Fatalf("enable: %d", s)
	}
	eventually(t, time.Second, "an enabled key works again", func() bool { return kf.call(t, 0, key1) == http.StatusOK })

	// A second key is fine; a third active one is refused, naming the keys to retire.
	id2, key2 := kf.newKey(t, 1, "svc")
	secrets = append(secrets, key2)
	status, out := kf.admin(t, 0, "POST", "/admin/v1/callers/svc/keys", `{}`)
	if status != http.StatusConflict || !strings.Contains(fmt.Sprint(out["detail"]), id1) || !strings.Contains(fmt.Sprint(out["detail"]), id2) {
		t.Fatalf("third key: %d %v; want 409 naming %s and %s", status, out, id1, id2)
	}

	// Rotation: the predecessor works through its grace, then answers 401.
	status, out = kf.admin(t, 0, "POST", "/admin/v1/keys/"+id1+"/rotate", `{"grace":"1500ms"}`)
	if status != http.StatusCreated {
		t.Fatalf("rotate: %d %v", status, out)
	}
	key3 := out["secret"].(string)
	secrets = append(secrets, key3)
	eventually(t, time.Second, "the successor works", func() bool { return kf.call(t, 1, key3) == http.StatusOK })
	if s := kf.call(t, 1, key1); s != http.StatusOK {
		t.Fatalf("the rotated key answered %d during its grace; want 200", s)
	}
	eventually(t, 3*time.Second, "the rotated key expires after its grace", func() bool {
		return kf.call(t, 0, key1) == http.StatusUnauthorized && kf.call(t, 1, key1) == http.StatusUnauthorized
	})

	// Delete: 401 everywhere.
	if s, _ := kf.admin(t, 1, "DELETE", "/admin/v1/keys/"+id2, ""); s != http.StatusNoContent {
		t.Fatalf("delete: %d", s)
	}
	eventually(t, time.Second, "a deleted key answers 401 on every replica", func() bool {
		return kf.call(t, 0, key2) == http.StatusUnauthorized && kf.call(t, 1, key2) == http.StatusUnauthorized
	})

	// The file owns its callers: the API does not change them.
	if s, out := kf.admin(t, 0, "PUT", "/admin/v1/callers/svc", `{"scopes":["groups:read"]}`); s != http.StatusConflict {
		t.Fatalf("set a file caller: %d %v; want 409", s, out)
	}
	// Scopes of a run-time caller set through the API apply everywhere.
	if s, out := kf.admin(t, 0, "PUT", "/admin/v1/callers/reports", `{"scopes":["users:read"],"priority":"batch"}`); s != http.StatusOK {
		t.Fatalf("add a caller: %d %v", s, out)
	}
	_, key4 := kf.newKey(t, 1, "reports")
	secrets = append(secrets, key4)
	eventually(t, time.Second, "the run-time caller's key works on every replica", func() bool {
		return kf.call(t, 0, key4) == http.StatusOK && kf.call(t, 1, key4) == http.StatusOK
	})
	if s, out := kf.admin(t, 1, "PUT", "/admin/v1/callers/reports", `{"scopes":["groups:read"]}`); s != http.StatusOK {
		t.Fatalf("set caller: %d %v", s, out)
	}
	eventually(t, time.Second, "a removed scope is refused on every replica", func() bool {
		return kf.call(t, 0, key4) == http.StatusForbidden && kf.call(t, 1, key4) == http.StatusForbidden
	})
	status, out = kf.admin(t, 1, "GET", "/admin/v1/callers", "")
	if status != http.StatusOK || !strings.Contains(fmt.Sprint(out), "groups:read") {
		t.Fatalf("list callers: %d %v", status, out)
	}

	// The admin API refuses a wrong token, and no secret leaked anywhere.
	req, _ := http.NewRequest("GET", kf.replicas[0].admin+"/admin/v1/callers", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong admin token: %v %v", resp, err)
	}
	assertNoSecrets(t, kf, secrets)
}

// assertNoSecrets checks logs, metrics and every response for the org token, the admin
// token and the keys' secrets (a key may appear only in the one response creating it).
func assertNoSecrets(t *testing.T, kf *keyFleet, keys []string) {
	t.Helper()
	var logs bytes.Buffer
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range kf.logs.All() {
		b, _ := enc.EncodeEntry(e.Entry, e.Context)
		logs.Write(b.Bytes())
	}
	var metrics bytes.Buffer
	for _, r := range kf.replicas {
		resp, err := http.Get(r.admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(&metrics, resp.Body)
		resp.Body.Close()
	}
	if !strings.Contains(logs.String(), `"action":"rotate_key"`) {
		t.Fatal("no audit line for the rotation")
	}
	responses := kf.seen.String()
	for _, k := range keys {
		secretPart := strings.SplitN(k, "_", 3)[2] // gwk_<id>_<secret>: the secret may hold '_' itself
		if n := strings.Count(responses, secretPart); n != 1 {
			t.Errorf("a key's secret appears %d times in responses; want once (its creation)", n)
		}
		for where, text := range map[string]string{"logs": logs.String(), "metrics": metrics.String()} {
			if strings.Contains(text, secretPart) {
				t.Errorf("a key's secret appears in %s", where)
			}
		}
	}
	for name, s := range map[string]string{"org token": kf.orgToken, "admin token": adminToken} {
		for where, text := range map[string]string{"logs": logs.String(), "metrics": metrics.String(), "responses": responses} {
			if strings.Contains(text, s) {
				t.Errorf("the %s appears in %s", name, where)
			}
		}
	}
}
