package proxy_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/proxytest"
)

// burst sends n GET /api/v2/users (2 points each) at once and returns the answers.
func burst(t *testing.T, gw *proxytest.Retool, n int) []proxytest.Response {
	t.Helper()
	reqs := make([]*http.Request, n)
	for i := range reqs {
		// Distinct reads: identical ones would follow one upstream call (coalescing).
		reqs[i] = gw.NewRequest(t, http.MethodGet, "/api/v2/users?page="+strconv.Itoa(i), nil)
		reqs[i].Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
	}
	answers, err := gw.SendTogether(reqs)
	if err != nil {
		t.Fatal(err)
	}
	return answers
}

func TestConcurrentCallersGet200Or429AndTheUpstreamNeverRateLimits(t *testing.T) {
	t.Parallel()
	const capacity, window = 20, time.Second
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{Capacity: capacity, Window: window, MaxWait: proxytest.NoWait})

	answers := burst(t, gw, 40) // 80 points asked of a 20-point budget

	var admitted, refused int
	for _, a := range answers {
		if a.Header.Get("RateLimit-Policy") != `"retool";q=20;w=1` {
			t.Errorf("RateLimit-Policy = %q, want \"retool\";q=20;w=1", a.Header.Get("RateLimit-Policy"))
		}
		if a.Header.Get("RateLimit") == "" {
			t.Errorf("status %d without a RateLimit header", a.Status)
		}
		switch a.Status {
		case http.StatusOK:
			admitted++
		case http.StatusTooManyRequests:
			refused++
			if p := a.Problem(t); p.Type != "urn:budgetgw:problem:budget-exhausted" {
				t.Errorf("429 problem type = %q, want budget-exhausted", p.Type)
			}
			if s, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("Retry-After = %q, want whole seconds >= 1", a.Header.Get("Retry-After"))
			}
		default:
			t.Errorf("status %d, want 200 or 429: %s", a.Status, a.Body)
		}
	}
	if admitted == 0 || refused == 0 {
		t.Errorf("%d admitted, %d refused; a burst four times the budget must see both", admitted, refused)
	}
	if n := gw.Sandbox.RateLimited(); n != 0 {
		t.Errorf("the upstream answered 429 %d times; the gateway must keep within its budget", n)
	}
	if peak := gw.Sandbox.MaxWindowPoints(window); peak > capacity {
		t.Errorf("the upstream saw %d points within one window; capacity is %d", peak, capacity)
	}
}

func TestWithMaxWaitCallersWaitForPointsInsteadOfBeingRefused(t *testing.T) {
	t.Parallel()
	const capacity, window = 20, time.Second
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{Capacity: capacity, Window: window, MaxWait: 5 * time.Second})

	answers := burst(t, gw, 20) // 40 points: two windows' worth

	for _, a := range answers {
		if a.Status != http.StatusOK {
			t.Errorf("status %d, want 200 after waiting: %s", a.Status, a.Body)
		}
	}
	if n := gw.Sandbox.RateLimited(); n != 0 {
		t.Errorf("the upstream answered 429 %d times", n)
	}
	if peak := gw.Sandbox.MaxWindowPoints(window); peak > capacity {
		t.Errorf("the upstream saw %d points within one window; capacity is %d", peak, capacity)
	}
	if waited := gw.Metric(t, "gateway_budget_wait_seconds", "outcome", "admitted"); waited != 20 {
		t.Errorf("%v admissions observed by the wait histogram, want 20", waited)
	}
}

func TestAClientThatLeavesWhileWaitingIsChargedNothing(t *testing.T) {
	t.Parallel()
	store := &signallingStore{Store: budget.NewMemory(nil), refused: make(chan budget.Decision, 1)}
	// One 2-point call fills the budget for 10 s; the second waits (max_wait 20 s) and
	// leaves long before it could be served.
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{Capacity: 2, Window: 10 * time.Second, MaxWait: 20 * time.Second, Store: store})
	if a := gw.Call(t, http.MethodGet, "/api/v2/users", gw.Key(proxytest.Reader), nil); a.Status != http.StatusOK {
		t.Fatalf("filling call: status %d: %s", a.Status, a.Body)
	}

	ctx, leave := context.WithCancel(t.Context())
	req := gw.NewRequest(t, http.MethodGet, "/api/v2/users", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
	req.Header.Set("X-Request-Id", "leaves-while-waiting")
	sent := make(chan error, 1)
	go func() { _, err := gw.Send(req); sent <- err }()
	<-store.refused // it is in the waiting line now
	leave()
	if err := <-sent; !errors.Is(err, context.Canceled) {
		t.Fatalf("the leaving client got %v, want context.Canceled", err)
	}

	line := gw.Logs.AwaitAccessLine(t, "leaves-while-waiting")
	fields := line.ContextMap()
	if fields["outcome"] != "client_gone_waiting" || fields["status"] != int64(499) {
		t.Errorf("access line outcome %v status %v, want client_gone_waiting 499", fields["outcome"], fields["status"])
	}
	if n := len(gw.Sandbox.Arrivals()); n != 1 {
		t.Errorf("the upstream received %d calls, want only the filling one", n)
	}
	if used := gw.Metric(t, "gateway_budget_points_used", "upstream", "retool"); used != 2 {
		t.Errorf("gateway_budget_points_used = %v, want 2 (the filling call alone)", used)
	}
	if spent := gw.Metric(t, "gateway_budget_points_admitted_total", "caller", "reader"); spent != 2 {
		t.Errorf("gateway_budget_points_admitted_total = %v, want 2", spent)
	}
	if waiters := gw.Metric(t, "gateway_budget_waiters", "upstream", "retool"); waiters != 0 {
		t.Errorf("gateway_budget_waiters = %v, want 0: the client left the line", waiters)
	}
}

// signallingStore tells the test, on a channel, when an ask was refused: the request is
// then waiting, which no sleep could tell reliably.
type signallingStore struct {
	budget.Store
	refused chan budget.Decision
}

func (s *signallingStore) Take(ctx context.Context, spec *budget.Spec, ask budget.Ask) (budget.Decision, error) {
	d, err := s.Store.Take(ctx, spec, ask)
	if err == nil && !d.Allowed {
		select {
		case s.refused <- d:
		default:
		}
	}
	return d, err
}
