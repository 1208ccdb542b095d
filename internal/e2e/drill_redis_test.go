package e2e

import (
	"context"
	"math/rand"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/sandbox"
)

// TestDrillRedisFrozenThroughTheGateway freezes Redis (SIGSTOP: connections stay open and
// nothing answers) for longer than every timeout the gateway has, under load on two
// replicas, then lets it go on (SIGCONT). The budget-level test proves the store stays
// exact; this one proves what callers see: no request is held past max_wait plus one
// Redis timeout, every answer is one the gateway documents, and the upstream never sees
// more than its capacity in any window nor answers 429.
func TestDrillRedisFrozenThroughTheGateway(t *testing.T) {
	for _, c := range []struct {
		onFailure string
		frozen    int // the status calls get while Redis is frozen and the replica knows it
	}{
		{"local_share", http.StatusOK},
		{"fail_closed", http.StatusServiceUnavailable},
	} {
		t.Run(c.onFailure, func(t *testing.T) { redisFreezeDrill(t, c.onFailure, c.frozen) })
	}
}

func redisFreezeDrill(t *testing.T, onFailure string, frozenStatus int) {
	const (
		capacity = 120
		window   = time.Second
		maxWait  = time.Second
		redisTO  = 100 * time.Millisecond
		latency  = 8 * time.Millisecond // the upstream's slowest answer
		callers  = 30
		span     = 6 * time.Second
	)
	// What a request may take: its wait, one Redis call that times out, the upstream's
	// answer, and room for a 2-core machine running other tests beside this one.
	const bound = maxWait + redisTO + latency + 400*time.Millisecond
	redisSrv := startRedis(t)
	sb, base := drillSandbox(t, sandbox.Options{Capacity: capacity, Window: window, Lockout: window,
		Latency: [2]time.Duration{time.Millisecond, latency}, Seed: 1})
	k, sum := auth.NewKey("drill-1")
	var gws []*drillGateway
	for range 2 {
		gws = append(gws, startDrillGateway(t, drillOptions{upstream: base, redisURL: redisSrv.URL(), replicas: 2, onFail: onFailure,
			capacity: capacity, window: window, maxWait: maxWait, redisTO: redisTO, keyRaw: k.Reveal(), keySum: sum}))
	}

	start := time.Now()
	freezeAt, thawAt := start.Add(1500*time.Millisecond), start.Add(3500*time.Millisecond)
	go func() {
		time.Sleep(time.Until(freezeAt))
		redisSrv.Pause()
		time.Sleep(time.Until(thawAt))
		redisSrv.Resume()
	}()
	results := driveTimed(t, gws, callers, start.Add(span))

	var worst drillResult
	counts := map[string]map[int]int{}
	for _, r := range results {
		if r.elapsed > worst.elapsed {
			worst = r
		}
		phase := "before"
		switch {
		case r.start.After(thawAt):
			phase = "after"
		case r.start.After(freezeAt.Add(redisTO)):
			phase = "frozen"
		}
		if counts[phase] == nil {
			counts[phase] = map[int]int{}
		}
		counts[phase][r.status]++
		ok := r.status == http.StatusOK ||
			(r.status == http.StatusTooManyRequests && r.problemType() == "budget-exhausted") ||
			(r.status == http.StatusServiceUnavailable && onFailure == "fail_closed" && r.problemType() == "budget-unavailable")
		if !ok || r.err != nil {
			t.Errorf("a call at +%s got status %d, problem %q, err %v", r.start.Sub(start).Round(time.Millisecond), r.status, r.problemType(), r.err)
		}
		if r.elapsed > bound {
			t.Errorf("a call at +%s took %s; no call may take longer than %s", r.start.Sub(start).Round(time.Millisecond), r.elapsed.Round(time.Millisecond), bound)
		}
	}
	t.Logf("%d calls; slowest %s at +%s (bound %s); statuses by phase %v",
		len(results), worst.elapsed.Round(time.Millisecond), worst.start.Sub(start).Round(time.Millisecond), bound, counts)
	if counts["frozen"][frozenStatus] == 0 {
		t.Errorf("no call got %d while Redis was frozen: %v", frozenStatus, counts["frozen"])
	}
	if counts["after"][http.StatusOK] == 0 {
		t.Errorf("no call succeeded after Redis came back: %v", counts["after"])
	}
	if peak := sb.MaxWindowPoints(window); peak > capacity {
		t.Errorf("the upstream saw %d points in one window; capacity is %d", peak, capacity)
	}
	if n := sb.RateLimited(); n > 0 {
		t.Errorf("the upstream answered 429 %d times", n)
	}
}

// driveTimed runs callers goroutines against the gateways until stop, each sending calls of
// mixed cost one after another and honouring Retry-After (less some jitter, so the herd
// does not stay in phase). It returns every call's result, with its duration.
func driveTimed(t *testing.T, gws []*drillGateway, callers int, stop time.Time) []drillResult {
	client := drillClient(t, callers)
	var mu sync.Mutex
	var out []drillResult
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(c)))
			g := gws[c%len(gws)]
			for time.Now().Before(stop) {
				op := mix[rng.Intn(len(mix))]
				r := drillSend(client, g.request(context.Background(), op.method, op.path))
				mu.Lock()
				out = append(out, r)
				mu.Unlock()
				if r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable {
					s, _ := strconv.Atoi(r.header.Get("Retry-After"))
					d := time.Duration(s)*time.Second - time.Duration(rng.Int63n(int64(time.Second)))
					time.Sleep(min(max(d, 10*time.Millisecond), time.Until(stop)))
				}
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(out, func(a, b drillResult) int { return a.start.Compare(b.start) })
	return out
}
