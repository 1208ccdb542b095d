package e2e

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// faultUpstream misbehaves in the way its mode names, and counts calls and connections.
type faultUpstream struct {
	mode atomic.Value // string
	hits atomic.Int64
	open atomic.Int64 // connections open now
	srv  *httptest.Server
}

const (
	faultOK        = "ok"
	faultHang      = "hang"       // never answers (until the gateway gives up)
	faultReset     = "reset"      // closes the connection with a TCP RST, no answer
	fault500       = "500"        // the upstream's own error
	faultGarbage   = "garbage"    // a status line that is not HTTP
	faultShort     = "short"      // promises 1000 bytes, sends 12, hangs up
	faultBadJSON   = "bad-json"   // 200 with a body that is not JSON
	fault429Retry  = "429-retry"  // 429 with Retry-After: 1
	fault429NoHint = "429-nohint" // 429 without Retry-After
)

const (
	upstream500Body = `{"success":false,"message":"Internal server error"}`
	badJSONBody     = `{"success": tru`
)

func startFaultUpstream(t *testing.T) *faultUpstream {
	f := &faultUpstream{}
	f.mode.Store(faultOK)
	f.srv = httptest.NewUnstartedServer(f)
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			f.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			f.open.Add(-1)
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *faultUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	switch f.mode.Load().(string) {
	case faultHang:
		<-r.Context().Done()
	case faultReset:
		conn := hijack(w)
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	case fault500:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(upstream500Body))
	case faultGarbage:
		conn := hijack(w)
		_, _ = conn.Write([]byte("HTTP/1.1 two hundred OK\r\nContent-Length: 2\r\n\r\n{}"))
		_ = conn.Close()
	case faultShort:
		conn := hijack(w)
		_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"success\":t"))
		_ = conn.Close()
	case faultBadJSON:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(badJSONBody))
	case fault429Retry:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	case fault429NoHint:
		w.WriteHeader(http.StatusTooManyRequests)
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true,"data":[]}`))
	}
}

func hijack(w http.ResponseWriter) net.Conn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err) // httptest servers speak HTTP/1.1: hijacking cannot fail
	}
	return conn
}

// burst sends n calls at once and returns what each got.
func burst(g *drillGateway, client *http.Client, n int) []drillResult {
	out := make([]drillResult, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = drillSend(client, g.request(context.Background(), http.MethodGet, "/api/v2/users"))
		}()
	}
	wg.Wait()
	return out
}

func TestDrillUpstreamFaultsGetClearAnswersAndLeakNothing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs after every other cleanup

	up := startFaultUpstream(t)
	g := startDrillGateway(t, drillOptions{upstream: up.srv.URL, capacity: 1 << 30, timeout: 300 * time.Millisecond})
	const width = 4
	client := drillClient(t, width)

	healthy := func(what string) {
		for range 3 { // the pools on both sides reach the width they will have
			for _, r := range burst(g, client, width) {
				if r.status != http.StatusOK {
					t.Fatalf("%s: status %d, err %v", what, r.status, r.err)
				}
			}
		}
	}
	healthy("warm-up")
	// quiet closes every idle connection, the callers' to the gateway and the gateway's to
	// the upstream (whose pool size varies with dial races), and counts what is left.
	quiet := func() (goroutines, fds int) {
		client.CloseIdleConnections()
		up.srv.CloseClientConnections()
		runtime.GC()
		return runtime.NumGoroutine(), drillOpenFDs()
	}
	var g0, f0 int
	settleUntil(t, "a steady baseline after the warm-up", 10*time.Second, func() bool {
		g1, f1 := quiet()
		time.Sleep(20 * time.Millisecond)
		g0, f0 = quiet()
		return g0 == g1 && f0 == f1 && up.open.Load() == 0
	})
	healthy("warm-up, again")

	checks := []struct {
		mode    string
		status  int
		problem string // "": the upstream's own answer, passed through
		body    string // for pass-through answers: exactly this body
		cut     bool   // the answer must reach the caller visibly cut
	}{
		{faultHang, http.StatusGatewayTimeout, "upstream-timeout", "", false},
		{faultReset, http.StatusBadGateway, "upstream-unreachable", "", false},
		{faultGarbage, http.StatusBadGateway, "upstream-unreachable", "", false},
		{fault500, http.StatusInternalServerError, "", upstream500Body, false},
		{faultBadJSON, http.StatusOK, "", badJSONBody, false},
		{faultShort, http.StatusOK, "", "", true},
	}
	for round := range 3 {
		for _, c := range checks {
			up.mode.Store(c.mode)
			hits := up.hits.Load()
			for i, r := range burst(g, client, width) {
				switch {
				case c.cut:
					// The status was sent before the upstream hung up; what must not happen is
					// a short body that looks complete.
					if !r.bodyErr {
						t.Errorf("round %d, %s, call %d: status %d, %d bytes, err %v; want the answer visibly cut", round, c.mode, i, r.status, len(r.body), r.err)
					}
				case r.err != nil || r.status != c.status:
					t.Errorf("round %d, %s, call %d: status %d, err %v; want %d", round, c.mode, i, r.status, r.err, c.status)
				case c.problem != "" && r.problemType() != c.problem:
					t.Errorf("round %d, %s, call %d: problem %q (%s); want %s", round, c.mode, i, r.problemType(), r.body, c.problem)
				case c.problem == "" && string(r.body) != c.body:
					t.Errorf("round %d, %s, call %d: body %q; want the upstream's %q unchanged", round, c.mode, i, r.body, c.body)
				}
			}
			if n := up.hits.Load() - hits; n != width && round == 0 {
				t.Logf("%s: %d calls reached the upstream for %d admitted (the transport retries an idempotent call on a reused connection)", c.mode, n, width)
			}
		}
	}
	up.mode.Store(faultOK)
	healthy("after the faults") // the same traffic as the baseline's, so the same pools

	if c := up.open.Load(); c > 2*width {
		t.Errorf("the gateway holds %d connections to the upstream after %d calls %d at a time", c, 3*len(checks)*width, width)
	}
	var g1, f1 int
	settleUntil(t, "goroutines and descriptors back to the baseline", 10*time.Second, func() bool {
		g1, f1 = quiet()
		return g1 <= g0 && (f0 < 0 || f1 <= f0) && up.open.Load() == 0
	})
	t.Logf("after %d faulty calls: goroutines %d (baseline %d), descriptors %d (%d)", 3*len(checks)*width, g1, g0, f1, f0)
}

func TestDrillUpstream429LocksOutForRetryAfterOrTheConfiguredLockout(t *testing.T) {
	up := startFaultUpstream(t)
	const lockout = 2 * time.Second
	g := startDrillGateway(t, drillOptions{upstream: up.srv.URL, capacity: 1 << 30, lockout: lockout})
	client := drillClient(t, 4)
	for _, c := range []struct {
		mode       string
		want       time.Duration
		retryAfter bool
	}{
		{fault429Retry, time.Second, true}, // shorter than the configured 2 s: the upstream's word wins
		{fault429NoHint, lockout, false},
	} {
		up.mode.Store(c.mode)
		first := drillSend(client, g.request(context.Background(), http.MethodGet, "/api/v2/users"))
		if first.status != http.StatusTooManyRequests {
			t.Fatalf("%s: status %d, err %v; want the upstream's 429 passed on", c.mode, first.status, first.err)
		}
		lockedAt := time.Now()
		up.mode.Store(faultOK)
		hits := up.hits.Load()
		var refused int
		for {
			r := drillSend(client, g.request(context.Background(), http.MethodGet, "/api/v2/users"))
			if r.status == http.StatusOK {
				break
			}
			refused++
			ra, _ := strconv.Atoi(r.header.Get("Retry-After"))
			if r.status != http.StatusTooManyRequests || r.problemType() != "upstream-lockout" || ra < 1 || ra > int(c.want/time.Second) {
				t.Fatalf("%s: during the lockout: status %d, problem %q, Retry-After %q; want 429 upstream-lockout within %s",
					c.mode, r.status, r.problemType(), r.header.Get("Retry-After"), c.want)
			}
			if up.hits.Load() != hits {
				t.Fatalf("%s: a call reached the upstream during the lockout", c.mode)
			}
			if time.Since(lockedAt) > c.want+2*time.Second {
				t.Fatalf("%s: still locked out %s after the 429; want %s", c.mode, time.Since(lockedAt), c.want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		took := time.Since(lockedAt)
		t.Logf("%s: %d calls refused locally, first call through after %s", c.mode, refused, took.Round(time.Millisecond))
		// The lock starts when the 429 reaches the gateway, just before the caller sees it.
		if took < c.want-100*time.Millisecond {
			t.Errorf("%s: a call went through %s after the 429; the lockout is %s", c.mode, took, c.want)
		}
		if c.retryAfter && took >= lockout {
			t.Errorf("%s: the lockout lasted %s: Retry-After (1 s) was ignored for the configured %s", c.mode, took, lockout)
		}
		if refused == 0 {
			t.Errorf("%s: no call was refused during the lockout", c.mode)
		}
	}
}
