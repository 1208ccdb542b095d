package proxy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxy"
	"github.com/budgetgw/gateway/internal/proxytest"
)

// echoUpstream answers reads with what it received (query, Accept, and every header as
// X-Echo-*, as a debug echo would), holding them while hold is open; writes pass at once.
type echoUpstream struct {
	gets atomic.Int64
	hold chan struct{} // nil: no holding
	once sync.Once
}

// release lets the held reads go (once; the test's cleanup calls it too).
func (u *echoUpstream) release() {
	u.once.Do(func() {
		if u.hold != nil {
			close(u.hold)
		}
	})
}

func (u *echoUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int64(0)
	if r.Method == http.MethodGet {
		n = u.gets.Add(1)
		if u.hold != nil {
			<-u.hold
		}
	}
	var seen []string
	for k, v := range r.Header {
		if k != "Authorization" { // the org token's echo is another test's business
			w.Header()["X-Echo-"+k] = v
			seen = append(seen, k+"="+strings.Join(v, ","))
		}
	}
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"success":true,"data":[],"get":%d,"path":%q,"query":%q,"accept":%q,"headers":%q,"body":%q}`,
		n, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Accept"), strings.Join(seen, ";"), body)
}

func startEcho(t *testing.T, up *echoUpstream, ttl time.Duration) *proxytest.Retool {
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	// A long upstream timeout: a read held at the upstream must not be released by a 504.
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: srv.URL, Capacity: 100000, CacheTTL: ttl, Timeout: time.Minute})
	t.Cleanup(up.release) // first: held reads would keep the gateway and the server open
	return g
}

func call(t *testing.T, g *proxytest.Retool, method, path, key string, header ...string) proxytest.Response {
	t.Helper()
	req := g.NewRequest(t, method, path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	return g.Do(t, req)
}

// awaitGets polls until the upstream has received n reads, failing after a generous limit.
func awaitGets(t *testing.T, up *echoUpstream, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for up.gets.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the upstream received %d reads, want %d: a read was shared that must not be", up.gets.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// The hole (issue 13, item 4): the key wrote k=v& unescaped, dropped pairs it could not
// parse and sorted repeated values, so reads the upstream answers differently shared one
// answer. Each pair here must reach the upstream twice, and each caller get its own.
func TestReadsTheUpstreamCanTellApartNeverShareAnAnswer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name            string
		first, second   string   // path and query
		firstH, secondH []string // request headers
	}{
		{"an escaped & is not a separator", "?email=a%26limit%3D5", "?email=a&limit=5", nil, nil},
		{"repeated values keep their order", "?limit=100&limit=1", "?limit=1&limit=100", nil, nil},
		{"an escaped = is not the key's end", "?a%3Db=c", "?a=b%3Dc", nil, nil},
		{"a pair that does not parse still counts", "?limit=5&x=%zz", "?limit=5", nil, nil},
		{"an empty query is not an absent one", "?", "", nil, nil},
		{"a header Connection strips is not counted", "", "", []string{"Accept: text/csv", "Connection: Accept"}, []string{"Accept: text/csv"}},
		{"repeated header values keep their order", "", "", []string{"Accept-Language: de", "Accept-Language: en"}, []string{"Accept-Language: en", "Accept-Language: de"}},
	}
	for i, tc := range cases {
		t.Run(tc.name+" (cache)", func(t *testing.T) {
			t.Parallel()
			up := &echoUpstream{}
			g := startEcho(t, up, time.Hour)
			path := fmt.Sprintf("/api/v2/users/u%d", i)
			a := call(t, g, "GET", path+tc.first, g.Key(proxytest.Reader), tc.firstH...)
			b := call(t, g, "GET", path+tc.second, g.Key(proxytest.Reader), tc.secondH...)
			if a.Status != 200 || b.Status != 200 {
				t.Fatalf("status %d, %d", a.Status, b.Status)
			}
			if b.Header.Get("X-Gateway-Cache") == "hit" || string(a.Body) == string(b.Body) || up.gets.Load() != 2 {
				t.Fatalf("the second read was answered with the first's: %s", b.Body)
			}
		})
		t.Run(tc.name+" (coalescing)", func(t *testing.T) {
			t.Parallel()
			up := &echoUpstream{hold: make(chan struct{})}
			g := startEcho(t, up, 0)
			path := fmt.Sprintf("/api/v2/users/u%d", i)
			var wg sync.WaitGroup
			var a, b proxytest.Response
			wg.Add(2)
			go func() { defer wg.Done(); a = call(t, g, "GET", path+tc.first, g.Key(proxytest.Reader), tc.firstH...) }()
			awaitGets(t, up, 1)
			go func() { defer wg.Done(); b = call(t, g, "GET", path+tc.second, g.Key(proxytest.Reader), tc.secondH...) }()
			awaitGets(t, up, 2) // fails if the second read follows the first
			up.release()
			wg.Wait()
			if b.Header.Get("X-Gateway-Coalesced") != "" || string(a.Body) == string(b.Body) {
				t.Fatalf("the second read was answered with the first's: %s", b.Body)
			}
		})
	}
}

// The hole (issue 13, item 4): the leader's own headers shaped the shared answer, so a
// header the upstream reflects from the leader reached a follower.
func TestASharedAnswerCarriesNothingOfTheLeadersRequest(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"cache", "coalescing"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			up := &echoUpstream{}
			ttl := time.Hour
			if mode == "coalescing" {
				up.hold, ttl = make(chan struct{}), 0
			}
			g := startEcho(t, up, ttl)
			const secret = "leader-only-d41d8cd9"
			// (The leader's request id is forwarded; docs/sharing.md says what that means.)
			leaderHeaders := []string{"X-Debug-User: " + secret, "User-Agent: " + secret, "Cookie: s=" + secret, "X-Forwarded-Host: " + secret}
			var leader, follower proxytest.Response
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				leader = call(t, g, "GET", "/api/v2/users?limit=5", g.Key(proxytest.Writer), leaderHeaders...)
			}()
			if mode == "coalescing" {
				awaitGets(t, up, 1)
				go func() {
					for g.Metric(t, "gateway_coalesced_waiters") < 1 {
						time.Sleep(time.Millisecond)
					}
					up.release()
				}()
			} else {
				wg.Wait()
			}
			follower = call(t, g, "GET", "/api/v2/users?limit=5", g.Key(proxytest.Reader), "X-Request-Id: follower-req-2")
			wg.Wait()
			if leader.Status != 200 || follower.Status != 200 || up.gets.Load() != 1 {
				t.Fatalf("statuses %d/%d, %d upstream reads: want one shared read", leader.Status, follower.Status, up.gets.Load())
			}
			if follower.Header.Get("X-Gateway-Cache") != "hit" && follower.Header.Get("X-Gateway-Coalesced") != "1" {
				t.Fatalf("the follower's answer was not shared: %v", follower.Header)
			}
			for k, v := range follower.Header {
				if strings.Contains(strings.Join(v, ","), secret) {
					t.Errorf("the follower got the leader's %s: %v", k, v)
				}
			}
			if strings.Contains(string(follower.Body), secret) {
				t.Errorf("the follower's body carries the leader's header: %s", follower.Body)
			}
			if id := follower.Header.Get("X-Request-Id"); id != "follower-req-2" {
				t.Errorf("X-Request-Id = %q, want the follower's own", id)
			}
			if rl := follower.Header.Get("RateLimit"); rl != "" {
				t.Errorf("the follower spent nothing but got the leader's RateLimit %q", rl)
			}
		})
	}
}

// A shared read forwards no body: the key does not hold it, so the answer must not
// depend on it.
func TestASharedReadForwardsNoBody(t *testing.T) {
	t.Parallel()
	up := &echoUpstream{}
	g := startEcho(t, up, time.Hour)
	var got []proxytest.Response
	for _, body := range []string{`{"a":1}`, `{"a":2}`} {
		req := g.NewRequest(t, "GET", "/api/v2/users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+g.Key(proxytest.Reader))
		got = append(got, g.Do(t, req))
	}
	if got[0].Status != 200 || !strings.Contains(string(got[0].Body), `"body":""`) {
		t.Fatalf("the upstream got a body with a shared read: %d %s", got[0].Status, got[0].Body)
	}
	if got[1].Header.Get("X-Gateway-Cache") != "hit" || up.gets.Load() != 1 {
		t.Fatalf("cache %q after %d upstream reads; want the second read answered from the cache", got[1].Header.Get("X-Gateway-Cache"), up.gets.Load())
	}
}

// stuckClient is a client that never reads its answer: every body write blocks.
type stuckClient struct {
	header  http.Header
	unstuck chan struct{}
}

func (s *stuckClient) Header() http.Header { return s.header }
func (s *stuckClient) WriteHeader(int)     {}
func (s *stuckClient) Write(b []byte) (int, error) {
	<-s.unstuck
	return len(b), nil
}

// The hole (issue 13, item 3): a leader that never reads its answer held every identical
// read behind it. Followers now get the answer as soon as the upstream sent it.
func TestALeaderThatNeverReadsDoesNotStallItsFollowers(t *testing.T) {
	t.Parallel()
	up := &echoUpstream{hold: make(chan struct{})}
	g := startEcho(t, up, 0)
	read := func(key string) *http.Request {
		r := httptest.NewRequest("GET", "/api/v2/users?limit=5", nil)
		r.Header.Set("Authorization", "Bearer "+g.Key(key))
		return r
	}
	leader := &stuckClient{header: http.Header{}, unstuck: make(chan struct{})}
	leaderDone := make(chan struct{})
	go func() { defer close(leaderDone); g.Handler.ServeHTTP(leader, read(proxytest.Writer)) }()
	t.Cleanup(func() { close(leader.unstuck); <-leaderDone })
	awaitGets(t, up, 1)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	follower := httptest.NewRecorder()
	followerDone := make(chan struct{})
	go func() {
		defer close(followerDone)
		g.Handler.ServeHTTP(follower, read(proxytest.Reader).WithContext(ctx))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for g.Metric(t, "gateway_coalesced_waiters") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the follower never joined the leader's read")
		}
		time.Sleep(time.Millisecond)
	}
	up.release()
	<-followerDone
	if follower.Code != 200 || follower.Header().Get("X-Gateway-Coalesced") != "1" || !strings.Contains(follower.Body.String(), `"get":1`) {
		t.Fatalf("follower: %d %v %q; want the shared answer while the leader is stuck", follower.Code, follower.Header(), follower.Body.String())
	}
}

// The hole (issue 13, item 5): entries were stored under the forwarded path and
// invalidated under the caller's spelling, and a read in flight across a write was
// stored after the write and served stale.
func TestAWriteForgetsEveryCachedSpellingAndEveryReadInFlight(t *testing.T) {
	t.Parallel()
	t.Run("another spelling of the path", func(t *testing.T) {
		t.Parallel()
		up := &echoUpstream{}
		g := startEcho(t, up, time.Hour)
		for _, p := range []string{"/api/v2/users/u7", "/API/V2/Users/u7"} {
			if r := call(t, g, "GET", p, g.Key(proxytest.Writer)); r.Status != 200 {
				t.Fatalf("%s: %d", p, r.Status)
			}
		}
		if n := up.gets.Load(); n != 1 {
			t.Fatalf("%d upstream reads: both spellings are one forwarded path, want 1", n)
		}
		if r := call(t, g, "PATCH", "/API/v2/USERS/u7", g.Key(proxytest.Writer)); r.Status != 200 {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		if r := call(t, g, "GET", "/api/v2/users/u7", g.Key(proxytest.Writer)); r.Header.Get("X-Gateway-Cache") == "hit" || up.gets.Load() != 2 {
			t.Fatalf("after a write the read was a %q with %d upstream reads; want a fresh read", r.Header.Get("X-Gateway-Cache"), up.gets.Load())
		}
	})
	t.Run("a read in flight across the write", func(t *testing.T) {
		t.Parallel()
		up := &echoUpstream{hold: make(chan struct{})}
		g := startEcho(t, up, time.Hour)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); call(t, g, "GET", "/api/v2/users", g.Key(proxytest.Writer)) }()
		awaitGets(t, up, 1)
		if r := call(t, g, "PATCH", "/api/v2/users/u7", g.Key(proxytest.Writer)); r.Status != 200 {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		// A read arriving after the write does not follow the read from before it.
		go func() { defer wg.Done(); call(t, g, "GET", "/api/v2/users", g.Key(proxytest.Writer)) }()
		awaitGets(t, up, 2)
		up.release()
		wg.Wait()
		if r := call(t, g, "GET", "/api/v2/users", g.Key(proxytest.Writer)); r.Header.Get("X-Gateway-Cache") == "hit" && strings.Contains(string(r.Body), `"get":1`) {
			t.Fatalf("the read that began before the write was stored and served: %s", r.Body)
		}
	})
}

// The hole (issue 13, item 3): followers had no deadline of their own. A follower of a
// read that never ends gets a 504 once its own wait for points plus the upstream timeout
// has passed, not whenever the leader is done.
func TestAFollowerWaitsNoLongerThanItsOwnCallWould(t *testing.T) {
	t.Parallel()
	up := &echoUpstream{}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: srv.URL, Timeout: 200 * time.Millisecond})
	header := http.Header{"Accept-Encoding": {"identity"}} // as sent: the key counts it
	release := proxy.HoldFlight(g.App.Gateway(), "GET", "/api/v2/users?limit=5", header)
	t.Cleanup(release)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := g.NewRequest(t, "GET", "/api/v2/users?limit=5", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+g.Key(proxytest.Reader))
	req.Header.Set("Accept-Encoding", "identity")
	resp := g.Do(t, req)
	if resp.Status != http.StatusGatewayTimeout || resp.Problem(t).Type != "urn:budgetgw:problem:upstream-timeout" {
		t.Fatalf("status %d %s; want a 504 at the follower's own deadline", resp.Status, resp.Body)
	}
	if up.gets.Load() != 0 {
		t.Fatalf("the upstream got %d reads; the follower had no time left for its own", up.gets.Load())
	}
}
