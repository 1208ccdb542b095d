package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestLatencyEndsWhenTheCallerLeaves(t *testing.T) {
	s := New(Options{Token: "org-token", Latency: [2]time.Duration{time.Hour, time.Hour}})
	entered, left := make(chan struct{}), make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		s.ServeHTTP(w, r)
		close(left)
	}))
	t.Cleanup(ts.Close)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/apps", nil)
		req.Header.Set("Authorization", "Bearer org-token")
		resp, err := ts.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("client error %v, want context.Canceled", err)
	}
	select {
	case <-left:
	case <-time.After(10 * time.Second): // a guard against hanging, not a wait to pass
		t.Fatal("the handler kept sleeping after its caller left")
	}
	arr := s.Arrivals()
	if len(arr) != 1 || arr[0].Status != StatusClientClosed || arr[0].Cost != 1 {
		t.Fatalf("arrivals %+v, want one charged call recorded as %d", arr, StatusClientClosed)
	}
}

func TestLatencyIsDrawnFromTheRange(t *testing.T) {
	lo, hi := 5*time.Millisecond, 15*time.Millisecond
	s := New(Options{Token: "org-token", Latency: [2]time.Duration{lo, hi}, Seed: 3})
	ts := start(t, s)
	for range 5 {
		began := time.Now()
		if got := call(t, ts, "GET", "/apps", bearer, ""); got.status != 200 {
			t.Fatalf("status %d", got.status)
		}
		if took := time.Since(began); took < lo {
			t.Fatalf("answered after %v, before the minimum latency %v", took, lo)
		}
	}
	// The draws themselves, without waiting for them.
	a, b := New(Options{Latency: [2]time.Duration{lo, hi}, Seed: 3}), New(Options{Latency: [2]time.Duration{lo, hi}, Seed: 3})
	for range 100 {
		d := a.drawDelay()
		if d < lo || d > hi {
			t.Fatalf("delay %v outside [%v, %v]", d, lo, hi)
		}
		if d != b.drawDelay() {
			t.Fatal("the same seed drew different delays")
		}
	}
}

func TestFailRate(t *testing.T) {
	statuses := func(seed int64) []int {
		s := New(Options{Token: "org-token", FailRate: 0.25, Seed: seed})
		ts := start(t, s)
		var out []int
		for range 200 {
			out = append(out, call(t, ts, "GET", "/apps", bearer, "").status)
		}
		for _, a := range s.Arrivals() {
			if a.Cost != 1 {
				t.Fatalf("a %d answer was charged %d, want 1: failures happen after charging", a.Status, a.Cost)
			}
		}
		// Reset restarts the draws: the same calls fail again.
		s.Reset()
		for i := range 20 {
			if got := call(t, ts, "GET", "/apps", bearer, "").status; got != out[i] {
				t.Fatalf("after Reset call %d answered %d, first run %d", i, got, out[i])
			}
		}
		return out
	}
	first, again, other := statuses(42), statuses(42), statuses(43)
	if !slices.Equal(first, again) {
		t.Fatal("the same seed failed different calls")
	}
	if slices.Equal(first, other) {
		t.Fatal("different seeds failed the same calls")
	}
	failed := 0
	for _, st := range first {
		if st == http.StatusInternalServerError {
			failed++
		} else if st != http.StatusOK {
			t.Fatalf("unexpected status %d", st)
		}
	}
	if failed < 30 || failed > 70 { // 50 expected of 200 at 25%
		t.Fatalf("%d of 200 failed at FailRate 0.25", failed)
	}
}
