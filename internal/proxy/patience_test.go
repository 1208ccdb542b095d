package proxy_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/sandbox"
	"github.com/budgetgw/gateway/internal/testutil"
)

// patientFixture is a gateway whose upstream refuses at once (max_wait: the smallest
// wait), with a caller "pipeline" that waits up to pipelineWait and a caller "web"
// that keeps the upstream's bound, in front of a sandbox enforcing the same budget.
type patientFixture struct {
	*proxytest.Gateway
	upstream      *sandbox.Server
	pipeline, web string
}

func startPatient(t *testing.T, capacity int64, window, pipelineWait, ceiling time.Duration) *patientFixture {
	t.Helper()
	return startPatientReplicas(t, 1, "", capacity, window, pipelineWait, ceiling)[0]
}

// startPatientReplicas starts n gateways sharing one budget (in the Redis at redisURL when
// n > 1) in front of one sandbox.
func startPatientReplicas(t *testing.T, n int, redisURL string, capacity int64, window, pipelineWait, ceiling time.Duration) []*patientFixture {
	t.Helper()
	token := "retool_org_patience"
	sb, base := proxytest.StartSandbox(t, sandbox.Options{Token: token, Capacity: capacity, Window: window, Lockout: window}, "retool-v2")
	pipeline, web := proxytest.NewKey("pipeline-1"), proxytest.NewKey("web-1")
	redis := ""
	if redisURL != "" {
		redis = fmt.Sprintf("redis: {url: %q, replicas: %d}", redisURL, n)
	}
	cfg := fmt.Sprintf(`
server: {listen: "127.0.0.1:0", shutdown_grace: 1s}
%s
upstreams:
  - name: retool
    base_url: %q
    profile: retool-v2
    auth: {token_file: %q}
    spec: {enabled: false}
    budget: {capacity: %d, window: %s, lockout: %s, max_wait: %s, max_wait_ceiling: %s}
callers:
  - name: pipeline
    scopes: ["*"]
    max_wait: %s
    keys: [{id: %s, sha256: %q}]
  - name: web
    scopes: ["*"]
    keys: [{id: %s, sha256: %q}]
`, redis, base, proxytest.SecretFile(t, token), capacity, window, window, proxytest.NoWait, ceiling, pipelineWait,
		pipeline.ID, pipeline.SHA256, web.ID, web.SHA256)
	out := make([]*patientFixture, n)
	for i := range out {
		gw := proxytest.Start(t, proxytest.Options{Config: cfg})
		out[i] = &patientFixture{Gateway: gw, upstream: sb, pipeline: pipeline.Raw, web: web.Raw}
	}
	return out
}

// burstAs sends n distinct 2-point reads at once with key and the given extra header.
func (f *patientFixture) burstAs(t *testing.T, key string, n int, header ...string) []proxytest.Response {
	t.Helper()
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = f.NewRequest(t, http.MethodGet, "/api/v2/users?page="+strconv.Itoa(i), nil)
		reqs[i].Header.Set("Authorization", "Bearer "+key)
		for j := 0; j+1 < len(header); j += 2 {
			reqs[i].Header.Set(header[j], header[j+1])
		}
	}
	answers, err := f.SendTogether(reqs)
	if err != nil {
		t.Fatal(err)
	}
	return answers
}

func (f *patientFixture) checkUpstreamKeptItsBudget(t *testing.T, capacity int64, window time.Duration) {
	t.Helper()
	if n := f.upstream.RateLimited(); n != 0 {
		t.Errorf("the upstream answered 429 %d times; waiting must keep within its budget", n)
	}
	if peak := f.upstream.MaxWindowPoints(window); peak > capacity {
		t.Errorf("the upstream saw %d points within one window; capacity is %d", peak, capacity)
	}
}

// The acceptance of issue 12, scaled down: a caller with a long max_wait that needs twice
// the budget gets every call answered, none 429, and the upstream never limits.
func TestAPatientCallerNeedingTwiceTheBudgetGetsEveryCallServed(t *testing.T) {
	t.Parallel()
	const capacity, window = 20, time.Second
	// The wait bound is generous (a loaded CI machine is slow); the calls need about two windows.
	f := startPatient(t, capacity, window, 30*time.Second, time.Minute)

	answers := f.burstAs(t, f.pipeline, 20) // 40 points: twice the budget
	for i, a := range answers {
		if a.Status != http.StatusOK {
			t.Errorf("call %d: %d %s, want 200 after waiting", i, a.Status, a.Body)
		}
	}
	f.checkUpstreamKeptItsBudget(t, capacity, window)
	if got := f.Metric(t, "gateway_budget_wait_seconds", "outcome", "admitted"); got != 20 {
		t.Errorf("gateway_budget_wait_seconds{outcome=admitted} counted %v calls, want 20", got)
	}
	waited := false
	for _, e := range f.Logs.AccessLines() {
		m := e.ContextMap()
		if m["caller"] != "pipeline" {
			continue
		}
		if m["max_wait"] != 30*time.Second {
			t.Errorf("access line max_wait = %v, want the caller's 30s", m["max_wait"])
		}
		if w, _ := m["wait"].(time.Duration); w > 0 {
			waited = true
		}
	}
	if !waited {
		t.Error("no access line shows a wait; twice the budget cannot be served without one")
	}
}

// Waiting keeps the caller's place in the line shared by every replica: two gateways on
// one Redis, each asked for the whole budget by the patient caller, serve every call and
// together never send the upstream more than its budget.
func TestPatientCallersOnTwoReplicasShareOneLine(t *testing.T) {
	t.Parallel()
	const capacity, window = 20, time.Second
	redis := testutil.StartRedis(t)
	replicas := startPatientReplicas(t, 2, redis.URL(), capacity, window, 30*time.Second, time.Minute)
	var wg sync.WaitGroup
	answers := make([][]proxytest.Response, len(replicas))
	for i, f := range replicas {
		wg.Go(func() { answers[i] = f.burstAs(t, f.pipeline, 10) }) // 20 points each, 40 in all
	}
	wg.Wait()
	for i := range answers {
		for j, a := range answers[i] {
			if a.Status != http.StatusOK {
				t.Errorf("replica %d call %d: %d %s, want 200 after waiting", i, j, a.Status, a.Body)
			}
		}
	}
	replicas[0].checkUpstreamKeptItsBudget(t, capacity, window)
}

func TestACallerWithoutMaxWaitKeepsTheUpstreamsBound(t *testing.T) {
	t.Parallel()
	const capacity, window = 20, 10 * time.Second
	f := startPatient(t, capacity, window, time.Minute, 2*time.Minute)
	refused := 0
	for _, a := range f.burstAs(t, f.web, 20) {
		switch a.Status {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Errorf("status %d, want 200 or 429: %s", a.Status, a.Body)
		}
	}
	if refused == 0 {
		t.Error("no call was refused: the pipeline's max_wait leaked to the web caller")
	}
	f.checkUpstreamKeptItsBudget(t, capacity, window)
}

func TestAClientMayAskForItsOwnWaitWithinTheCeiling(t *testing.T) {
	t.Parallel()
	const capacity, window = 20, time.Second
	f := startPatient(t, capacity, window, time.Minute, time.Minute)
	for i, a := range f.burstAs(t, f.web, 20, "Prefer", "respond-async, wait=30") {
		if a.Status != http.StatusOK || a.Header.Get("Preference-Applied") != "wait=30" {
			t.Errorf("call %d: %d (Preference-Applied %q) %s, want 200 with Preference-Applied: wait=30",
				i, a.Status, a.Header.Get("Preference-Applied"), a.Body)
		}
	}
	f.checkUpstreamKeptItsBudget(t, capacity, window)

	// Beyond the ceiling the preference is not applied as asked: the ceiling bounds it.
	req := f.NewRequest(t, http.MethodGet, "/api/v2/users?beyond=1", nil)
	req.Header.Set("Authorization", "Bearer "+f.web)
	req.Header.Set("Prefer", "wait=3600")
	a := f.Do(t, req)
	if a.Header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied %q for a wait beyond the ceiling, want none", a.Header.Get("Preference-Applied"))
	}
}

func TestDrainingReleasesAPatientWaiterWith503(t *testing.T) {
	t.Parallel()
	f := startPatient(t, 2, time.Minute, 2*time.Minute, 2*time.Minute)
	if a := f.Call(t, http.MethodGet, "/api/v2/users?first", f.pipeline, nil); a.Status != http.StatusOK {
		t.Fatalf("first call: %d %s", a.Status, a.Body)
	}
	done := make(chan proxytest.Response, 1)
	go func() {
		req := f.NewRequest(t, http.MethodGet, "/api/v2/users?second", nil)
		req.Header.Set("Authorization", "Bearer "+f.pipeline)
		a, err := f.Send(req)
		if err != nil {
			t.Error(err)
		}
		done <- a
	}()
	deadline := time.Now().Add(10 * time.Second)
	for f.Metric(t, "gateway_budget_waiters") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the second call never joined the waiting line")
		}
		time.Sleep(10 * time.Millisecond) // polling, not proof: the assertions follow
	}
	f.App.Gateway().Drain()
	var a proxytest.Response
	select {
	case a = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a waiter was not released by draining")
	}
	if a.Status != http.StatusServiceUnavailable || a.Problem(t).Type != "urn:budgetgw:problem:draining" {
		t.Fatalf("waiter released with %d %s, want 503 draining", a.Status, a.Body)
	}
	line := f.Logs.AwaitAccessLine(t, a.Header.Get("X-Request-Id")).ContextMap()
	if line["outcome"] != "draining" || line["max_wait"] != 2*time.Minute {
		t.Errorf("access line %v, want outcome draining and max_wait 2m", line)
	}
	if got := f.Metric(t, "gateway_budget_wait_seconds", "outcome", "refused"); got != 1 {
		t.Errorf("gateway_budget_wait_seconds{outcome=refused} counted %v, want the released waiter", got)
	}
}
