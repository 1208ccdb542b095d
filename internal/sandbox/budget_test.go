package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// retoolBudget is Retool's published rule: 300 points a minute, then a minute's block.
func retoolBudget(clock *fakeClock, cost int64) Options {
	return Options{
		Token:    "org-token",
		Capacity: 300,
		Window:   time.Minute,
		Lockout:  time.Minute,
		Cost:     func(string, string) (int64, bool) { return cost, true },
		Now:      clock.Now,
	}
}

// step is one call at an offset from the start, and what the sandbox must answer.
type step struct {
	at         time.Duration
	status     int
	retryAfter string
}

func TestBudget(t *testing.T) {
	cases := []struct {
		name    string
		cost    int64
		lockout time.Duration
		steps   []step
	}{
		{
			name: "the whole capacity can be spent and one point more is refused",
			cost: 100,
			steps: []step{
				{0, 200, ""}, {0, 200, ""}, {0, 200, ""},
				{0, 429, "60"},
			},
		},
		{
			name: "every call during the lockout is refused with the remaining time rounded up",
			cost: 150,
			steps: []step{
				{0, 200, ""}, {0, 200, ""}, {0, 429, "60"},
				{10*time.Second + 500*time.Millisecond, 429, "50"},
				{59*time.Second + time.Millisecond, 429, "1"},
			},
		},
		{
			name: "calls succeed again once the lockout ends",
			cost: 150,
			steps: []step{
				{0, 200, ""}, {0, 200, ""},
				{30 * time.Second, 429, "60"},
				{90*time.Second - time.Nanosecond, 429, "1"},
				{90 * time.Second, 200, ""},
				{90 * time.Second, 200, ""},
			},
		},
		{
			name: "the window slides: points leave it exactly one window after they were charged",
			cost: 100, lockout: -1,
			steps: []step{
				{0, 200, ""}, {20 * time.Second, 200, ""}, {40 * time.Second, 200, ""},
				{60*time.Second - time.Millisecond, 429, "1"},
				{60 * time.Second, 200, ""},
				{79 * time.Second, 429, "1"},
				{80 * time.Second, 200, ""},
			},
		},
		{
			name: "without a lockout Retry-After says when enough points will have left",
			cost: 200, lockout: -1,
			steps: []step{
				{0, 200, ""}, {5 * time.Second, 429, "55"},
			},
		},
		{
			name: "a call costing more than the capacity is never charged",
			cost: 301, lockout: -1,
			steps: []step{{0, 429, "60"}, {time.Hour, 429, "60"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := newFakeClock()
			begin := clock.Now()
			opts := retoolBudget(clock, c.cost)
			if c.lockout < 0 {
				opts.Lockout = 0
			}
			s := New(opts)
			ts := start(t, s)
			refused := 0
			for i, st := range c.steps {
				clock.Advance(begin.Add(st.at).Sub(clock.Now()))
				got := call(t, ts, "GET", "/api/v2/apps", bearer, "")
				if got.status != st.status || got.header.Get("Retry-After") != st.retryAfter {
					t.Fatalf("step %d at %v: %d Retry-After %q, want %d %q (body %s)", i, st.at,
						got.status, got.header.Get("Retry-After"), st.status, st.retryAfter, got.body)
				}
				if st.status == 429 {
					refused++
					if !strings.HasPrefix(got.body, `{"success":false,"message":"Rate limit exceeded`) {
						t.Fatalf("429 body %s", got.body)
					}
				}
			}
			if s.RateLimited() != refused {
				t.Fatalf("RateLimited %d, want %d", s.RateLimited(), refused)
			}
			if peak := s.MaxWindowPoints(time.Minute); peak > 300 {
				t.Fatalf("the sandbox itself charged %d points in one window", peak)
			}
			for _, a := range s.Arrivals() {
				if (a.Status == 429) != (a.Cost == 0) {
					t.Fatalf("arrival %v status %d charged %d", a.At.Sub(begin), a.Status, a.Cost)
				}
			}
		})
	}
}

func TestConcurrentCallsNeverOverspend(t *testing.T) {
	clock := newFakeClock()
	s := New(retoolBudget(clock, 2))
	var wg sync.WaitGroup
	for range 400 {
		wg.Go(func() {
			req := httptest.NewRequest("GET", "/api/v2/users", nil)
			req.Header.Set("Authorization", "Bearer org-token")
			s.ServeHTTP(httptest.NewRecorder(), req)
		})
	}
	wg.Wait()
	ok := 0
	for _, a := range s.Arrivals() {
		if a.Status == http.StatusOK {
			ok++
		}
	}
	if ok != 150 || s.RateLimited() != 250 || s.MaxWindowPoints(time.Minute) != 300 {
		t.Fatalf("%d answered, %d limited, peak %d; want 150, 250, 300",
			ok, s.RateLimited(), s.MaxWindowPoints(time.Minute))
	}
}

func TestZeroCapacityChargesWithoutLimiting(t *testing.T) {
	clock := newFakeClock()
	opts := retoolBudget(clock, 5)
	opts.Capacity = 0
	s := New(opts)
	ts := start(t, s)
	for range 100 {
		if got := call(t, ts, "GET", "/api/v2/groups", bearer, ""); got.status != 200 {
			t.Fatalf("status %d with enforcement off", got.status)
		}
	}
	if got := s.MaxWindowPoints(time.Minute); got != 500 {
		t.Fatalf("peak %d, want 500: unenforced calls must still be measured", got)
	}
}

func TestResetForgetsTheLockout(t *testing.T) {
	clock := newFakeClock()
	opts := retoolBudget(clock, 0)
	opts.Cost = func(_, path string) (int64, bool) {
		if path == "/too-costly" {
			return 301, true
		}
		return 1, true
	}
	s := New(opts)
	ts := start(t, s)
	if got := call(t, ts, "GET", "/too-costly", bearer, ""); got.status != 429 {
		t.Fatalf("an over-capacity call got %d", got.status)
	}
	s.Reset()
	if got := call(t, ts, "GET", "/api/v2/apps", bearer, ""); got.status != 200 || s.RateLimited() != 0 {
		t.Fatalf("after Reset: %d, %d limited", got.status, s.RateLimited())
	}
}
