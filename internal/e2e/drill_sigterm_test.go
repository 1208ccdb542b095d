package e2e

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// streamingUpstream answers GET /api/v2/users with a large body in two halves: the first at
// once, the second only after release is closed, slowly, chunk by chunk. A call holding its
// first half is in flight for as long as the test wants. Other calls get a short answer.
type streamingUpstream struct {
	body    []byte
	started chan struct{} // one value per call that has sent its first half
	release chan struct{}
	hits    atomic.Int64
}

func newStreamingUpstream(size int) *streamingUpstream {
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i*7 + i>>9) // no run repeats, so a lost or repeated chunk shows
	}
	return &streamingUpstream{body: body, started: make(chan struct{}, 64), release: make(chan struct{})}
}

func (s *streamingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	if r.URL.Path != "/api/v2/users" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true,"data":[]}`))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(s.body)))
	w.WriteHeader(http.StatusOK)
	half := len(s.body) / 2
	_, _ = w.Write(s.body[:half])
	http.NewResponseController(w).Flush()
	s.started <- struct{}{}
	select {
	case <-s.release:
	case <-r.Context().Done():
		return
	}
	const chunk = 32 << 10
	for off := half; off < len(s.body); off += chunk {
		if _, err := w.Write(s.body[off:min(off+chunk, len(s.body))]); err != nil {
			return
		}
		http.NewResponseController(w).Flush()
		time.Sleep(2 * time.Millisecond) // slowly: the drain must wait for the whole body
	}
}

func TestDrillSIGTERMUnderLoadFinishesInFlightCallsAndReleasesWaiters(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // registered first: runs after every other cleanup

	up := newStreamingUpstream(2 << 20)
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	t.Cleanup(func() {
		select {
		case <-up.release:
		default:
			close(up.release) // a failed test must not hold the upstream's Close
		}
	})
	// Six quick 5-point calls and five streaming 2-point ones fill the 40-point budget.
	// Later calls wait: points come back a window (5 s) after the answers, max_wait is
	// 15 s, and the line holds as many waiters as the points it knows will come back.
	const quick, inFlight, waiting = 6, 5, 15
	g := startDrillGateway(t, drillOptions{upstream: upSrv.URL, capacity: 5*quick + 2*inFlight, window: 5 * time.Second,
		maxWait: 15 * time.Second, timeout: 20 * time.Second, grace: 20 * time.Second})
	client := drillClient(t, 64)
	ctx := context.Background()
	for i := range quick {
		if r := drillSend(client, g.request(ctx, http.MethodGet, "/api/v2/groups")); r.status != http.StatusOK {
			t.Fatalf("filling call %d: status %d, err %v", i, r.status, r.err)
		}
	}

	streams := make(chan drillResult, inFlight)
	for range inFlight {
		go func() { streams <- drillSend(client, g.request(ctx, http.MethodGet, "/api/v2/users")) }()
	}
	for range inFlight {
		select {
		case <-up.started:
		case <-time.After(10 * time.Second):
			t.Fatal("the in-flight calls did not reach the upstream")
		}
	}
	waiters := make(chan drillResult, waiting)
	for range waiting {
		go func() { waiters <- drillSend(client, g.request(ctx, http.MethodGet, "/api/v2/users")) }()
	}
	settleUntil(t, "every waiter registered", 10*time.Second, func() bool {
		return g.Metric(t, "gateway_budget_waiters") == waiting
	})

	// Load keeps coming while the replica drains.
	var draining atomic.Bool
	stopLoad := make(chan struct{})
	var loadWG sync.WaitGroup
	var loadMu sync.Mutex
	var load []drillResult
	for range 4 {
		loadWG.Add(1)
		go func() {
			defer loadWG.Done()
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				late := draining.Load()
				r := drillSend(client, g.request(ctx, http.MethodGet, "/api/v2/users"))
				r.sentLate = late
				loadMu.Lock()
				load = append(load, r)
				loadMu.Unlock()
				if r.err != nil || r.status != http.StatusOK {
					time.Sleep(10 * time.Millisecond) // refused: no hot loop against a closed port
				}
			}
		}()
	}
	settleUntil(t, "the load's calls waiting too", 10*time.Second, func() bool {
		return g.Metric(t, "gateway_budget_waiters") >= waiting+4
	})

	draining.Store(true)
	g.BeginStop() // SIGTERM
	settleUntil(t, "/readyz answering 503 while draining", 5*time.Second, func() bool {
		resp, err := client.Get(g.AdminURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	for i := range waiting {
		select {
		case r := <-waiters:
			if r.status != http.StatusServiceUnavailable || r.problemType() != "draining" || r.header.Get("Retry-After") == "" {
				t.Errorf("waiter %d: status %d, problem %q, Retry-After %q, err %v; want 503 draining with Retry-After",
					i, r.status, r.problemType(), r.header.Get("Retry-After"), r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d waiters were released by the drain", i, waiting)
		}
	}
	if g.Stopped() {
		t.Fatalf("Serve returned (%v) while calls were still streaming: in-flight answers were cut", g.Stop())
	}

	close(up.release)
	for i := range inFlight {
		r := <-streams
		if r.err != nil || r.status != http.StatusOK || !bytes.Equal(r.body, up.body) {
			t.Errorf("in-flight call %d: status %d, %d of %d bytes, err %v; want the whole body", i, r.status, len(r.body), len(up.body), r.err)
		}
	}
	if err := g.Stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
	close(stopLoad)
	loadWG.Wait()

	var ok, released, refused int
	for _, r := range load {
		switch {
		case r.bodyErr:
			t.Errorf("a load call was cut mid-answer: status %d, %d bytes, %v", r.status, len(r.body), r.err)
		case r.status == http.StatusOK && bytes.Equal(r.body, up.body):
			ok++
		case r.status == http.StatusServiceUnavailable && r.problemType() == "draining":
			released++
		case r.status == http.StatusTooManyRequests && r.problemType() == "budget-exhausted" && r.sentLate:
			released++ // the line was full: refused at once, nothing spent
		case r.status == 0 && r.sentLate:
			refused++ // the listener had closed: nothing was accepted, nothing spent
		default:
			t.Errorf("a load call (sent while draining: %v) got status %d, problem %q, err %v", r.sentLate, r.status, r.problemType(), r.err)
		}
	}
	t.Logf("load during the drain: %d whole answers, %d released (503) or refused (429), %d refused at the door", ok, released, refused)
	if released == 0 {
		t.Error("no load call was waiting when the drain began; the drill did not test what it claims")
	}
	if n := up.hits.Load(); n != int64(quick+inFlight+ok) {
		t.Errorf("the upstream got %d calls; want %d: a released waiter must spend nothing", n, quick+inFlight+ok)
	}
}
