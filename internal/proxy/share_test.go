package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// slowUpstream answers reads only when released, counting the calls that reached it.
type slowUpstream struct {
	calls   atomic.Int64
	release chan struct{}
	etag    string
}

func (u *slowUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := u.calls.Add(1)
	if u.release != nil {
		<-u.release
	}
	if u.etag != "" {
		w.Header().Set("ETag", u.etag)
		if r.Header.Get("If-None-Match") == u.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"success":true,"data":[],"call":%d,"path":%q}`, n, r.URL.Path)
}

func TestFiftyIdenticalReadsShareOneUpstreamCallAndOneCharge(t *testing.T) {
	up := &slowUpstream{release: make(chan struct{})}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: srv.URL, Capacity: 100})
	var wg sync.WaitGroup
	bodies := make([]string, 50)
	codes := make([]int, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := g.Call(t, "GET", "/api/v2/users?limit=5&next_token=a", g.Key(proxytest.Reader), nil)
			codes[i], bodies[i] = resp.Status, string(resp.Body)
		}()
	}
	// The scope check still holds for a caller who asks for the same read.
	denied := make(chan int, 1)
	go func() { denied <- g.Call(t, "GET", "/api/v2/users?limit=5&next_token=a", "gwk_nope_nope", nil).Status }()
	deadline := time.Now().Add(5 * time.Second)
	for g.Metric(t, "gateway_coalesced_waiters") < 49 {
		if time.Now().After(deadline) {
			t.Fatalf("only %v followers joined the read in flight", g.Metric(t, "gateway_coalesced_waiters"))
		}
		time.Sleep(time.Millisecond)
	}
	close(up.release)
	wg.Wait()
	for i := range 50 {
		if codes[i] != http.StatusOK || bodies[i] != bodies[0] {
			t.Fatalf("answer %d: %d %s; want 200 and the leader's body %s", i, codes[i], bodies[i], bodies[0])
		}
	}
	if n := up.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls; want 1", n)
	}
	if spent := g.Metric(t, "gateway_budget_points_admitted_total"); spent != 2 {
		t.Fatalf("%v points spent; want 2 (one users call)", spent)
	}
	if saved := g.Metric(t, "gateway_points_saved_total", "reason", "coalesced"); saved != 98 {
		t.Fatalf("%v points saved; want 98", saved)
	}
	if s := <-denied; s != http.StatusUnauthorized && s != http.StatusForbidden {
		t.Fatalf("a caller without a valid key or scope got %d", s)
	}
}

func TestACallerWithoutTheScopeIsRefusedEvenWhileTheReadIsInFlight(t *testing.T) {
	up := &slowUpstream{release: make(chan struct{})}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: srv.URL})
	leader := make(chan int, 1)
	go func() { leader <- g.Call(t, "GET", "/api/v2/groups", g.Key(proxytest.Writer), nil).Status }()
	for up.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if s := g.Call(t, "GET", "/api/v2/groups", g.Key(proxytest.Reader), nil).Status; s != http.StatusForbidden {
		t.Fatalf("a users:read caller asking for groups got %d while groups were in flight; want 403", s)
	}
	close(up.release)
	if s := <-leader; s != http.StatusOK {
		t.Fatalf("leader: %d", s)
	}
}

func TestCachedReadsSpendNothingAndAWriteForgetsThem(t *testing.T) {
	up := &slowUpstream{etag: `"v1"`}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: srv.URL, Capacity: 1000, CacheTTL: time.Hour})
	read := func() proxytest.Response { return g.Call(t, "GET", "/api/v2/users/7", g.Key(proxytest.Writer), nil) }
	first := read()
	// A read sent the instant the first answer arrives may follow the first call's closing
	// flight (coalesced, just as free); once it has closed, reads are cache hits.
	second := read()
	for i := 0; second.Header.Get("X-Gateway-Cache") != "hit" && i < 100; i++ {
		time.Sleep(time.Millisecond)
		second = read()
	}
	if up.calls.Load() != 1 || second.Header.Get("X-Gateway-Cache") != "hit" || string(second.Body) != string(first.Body) {
		t.Fatalf("%d upstream calls, cache %q; want 1 call and a hit with the same body", up.calls.Load(), second.Header.Get("X-Gateway-Cache"))
	}
	if spent := g.Metric(t, "gateway_budget_points_admitted_total"); spent != 2 {
		t.Fatalf("%v points spent; want 2: the hit is free", spent)
	}
	if r := g.Call(t, "PATCH", "/api/v2/users/7", g.Key(proxytest.Writer), nil); r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	third := read()
	if third.Header.Get("X-Gateway-Cache") == "hit" || up.calls.Load() != 3 {
		t.Fatalf("after a write the read was %q with %d upstream calls; want a fresh upstream read", third.Header.Get("X-Gateway-Cache"), up.calls.Load())
	}
	_, _ = io.Discard.Write(third.Body)
}
