package proxy_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// strictUpstream enforces its own sliding budget, in which someone outside the gateway
// has already spent, and reports what remains after each call.
type strictUpstream struct {
	mu       sync.Mutex
	capacity int64
	window   time.Duration
	spent    []struct {
		at   time.Time
		cost int64
	}
	limited int
}

func (u *strictUpstream) used(now time.Time) int64 {
	var sum int64
	for _, s := range u.spent {
		if now.Sub(s.at) < u.window {
			sum += s.cost
		}
	}
	return sum
}

func (u *strictUpstream) spend(cost int64) {
	u.spent = append(u.spent, struct {
		at   time.Time
		cost int64
	}{time.Now(), cost})
}

func (u *strictUpstream) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	if u.used(now)+2 > u.capacity {
		u.limited++
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	u.spend(2)
	w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(u.capacity-u.used(now)))
	_, _ = w.Write([]byte(`{"success":true,"data":[]}`))
}

func TestTheGatewaySlowsDownWhenTheUpstreamSaysOthersSpend(t *testing.T) {
	up := &strictUpstream{capacity: 20, window: 2 * time.Second}
	up.spend(10) // a script with the org token, outside the gateway
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: srv.URL, Capacity: 20, Window: 2 * time.Second, MaxWait: 3 * time.Second})
	var wg sync.WaitGroup
	stop := time.Now().Add(3 * time.Second)
	for c := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				g.Call(t, "GET", fmt.Sprintf("/api/v2/users?c=%d&i=%d", c, i), g.Key(proxytest.Reader), nil)
			}
		}()
	}
	wg.Wait()
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.limited != 0 {
		t.Fatalf("the upstream answered 429 %d times: the gateway did not take its word", up.limited)
	}
	// And it got there by counting the outside spending, not by luck: at least the 10 points.
	var absorbed int64
	for _, e := range g.Logs.All() {
		if strings.Contains(e.Message, "spent outside") {
			absorbed += e.ContextMap()["gap_points"].(int64)
		}
	}
	if absorbed < 10 {
		t.Fatalf("the gateway counted %d points spent outside it; 10 were", absorbed)
	}
	t.Logf("%d calls reached the upstream without a 429", len(up.spent)-1)
}
