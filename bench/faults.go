package main

import (
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/budgetgw/gateway/bench/internal/load"
	"github.com/budgetgw/gateway/bench/internal/redisserver"
	"github.com/budgetgw/gateway/internal/sandbox"
	"github.com/budgetgw/gateway/internal/testutil"
)

// The faults scenario: gateway processes in front of the simulated Retool API (300 points
// per sliding 3 s window, Retool's 60 s scaled down; answers after 1–30 ms), each fault on
// a private redis-server so it can be frozen, killed or cut off without touching the
// others. Callers send one call at a time and honour Retry-After. The verdict reads the
// upstream's own log and the callers' clocks.

type faultReport struct {
	name, fault string
	replicas    int
	callers     int
	window      time.Duration
	capacity    int64
	maxWait     time.Duration
	timeouts    string // redis.timeout and the upstream timeout, as configured

	calls       int
	statuses    map[int]int
	maxElapsed  time.Duration // the slowest caller, whatever its answer
	maxPoints   int64
	upstream429 int
	perWindow   []float64 // points ÷ capacity in each whole window while the fault lasted
	alone       int       // calls the cut-off replica served while cut off
	firstAlone  time.Duration
	note        string
}

type faultCall struct {
	start   time.Time
	elapsed time.Duration
	status  int
	replica int
}

func (e *env) runFaults() ([]*faultReport, error) {
	var out []*faultReport
	for _, run := range []func() (*faultReport, error){e.faultFreeze, e.faultLone, e.faultPartition} {
		rep, err := run()
		if err != nil {
			return out, err
		}
		fmt.Printf("  %s: slowest caller %s, max %d/%d points in a window, %d upstream 429s, statuses %v%s\n",
			rep.name, rep.maxElapsed.Round(time.Millisecond), rep.maxPoints, rep.capacity, rep.upstream429, rep.statuses, rep.windowsText())
		out = append(out, rep)
	}
	return out, nil
}

// privateRedis starts a redis-server of its own for one scenario or target.
func (e *env) privateRedis(name string) (*redisserver.Server, error) {
	dir := filepath.Join(e.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return redisserver.Start(dir)
}

// faultFleet starts the upstream and one gateway per Redis URL.
func (e *env) faultFleet(rep *faultReport, urls []string, timeout time.Duration) (*sandbox.Server, []*gatewayProc, []caller, func(), error) {
	sb, base, closeSandbox, err := e.startSandbox(&fidelityReport{capacity: rep.capacity, window: rep.window,
		latency: [2]time.Duration{time.Millisecond, 30 * time.Millisecond}})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	callers := make([]caller, rep.callers)
	for i := range callers {
		callers[i] = newCaller(fmt.Sprintf("f%03d", i))
	}
	var gws []*gatewayProc
	cleanup := func() {
		for _, g := range gws {
			g.Stop(5 * time.Second)
		}
		closeSandbox()
	}
	for i, url := range urls {
		g, err := e.startGateway(gatewaySpec{name: fmt.Sprintf("gateway-%s-%d", rep.name, i), upstream: base, replicas: rep.replicas,
			capacity: rep.capacity, window: rep.window, maxWait: rep.maxWait, callers: callers, redisURL: url, timeout: timeout})
		if err != nil {
			cleanup()
			return nil, nil, nil, nil, err
		}
		gws = append(gws, g)
	}
	return sb, gws, callers, cleanup, nil
}

// driveFault runs every caller until stop (caller i on replica i % len(gws)).
func driveFault(gws []*gatewayProc, callers []caller, stop time.Time) []faultCall {
	tr := &http.Transport{MaxIdleConnsPerHost: len(callers), MaxConnsPerHost: len(callers)}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var mu sync.Mutex
	var out []faultCall
	var wg sync.WaitGroup
	for i, c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i)))
			op := fidelityOps[i%len(fidelityOps)]
			g := i % len(gws)
			for time.Now().Before(stop) {
				req, _ := http.NewRequest(op.method, gws[g].url+op.path+load.NextQuery(), strings.NewReader(`{"object_type":"folder"}`))
				req.Header = bearer(c.key)
				req.Header.Set("Content-Type", "application/json")
				call := faultCall{start: time.Now(), replica: g}
				retry := time.Duration(0)
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
					call.status = resp.StatusCode
					s, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
					retry = time.Duration(s) * time.Second
				}
				call.elapsed = time.Since(call.start)
				mu.Lock()
				out = append(out, call)
				mu.Unlock()
				if call.status != http.StatusOK {
					d := retry - time.Duration(rng.Int63n(int64(time.Second)))
					time.Sleep(min(max(d, 10*time.Millisecond), time.Until(stop)))
				}
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(out, func(a, b faultCall) int { return a.start.Compare(b.start) })
	return out
}

// judge fills what every fault reports, from the callers' calls and the upstream's log;
// perWindow covers the whole windows of [from, to).
func (rep *faultReport) judge(sb *sandbox.Server, calls []faultCall, from, to time.Time) {
	rep.calls, rep.statuses = len(calls), map[int]int{}
	for _, c := range calls {
		rep.statuses[c.status]++
		rep.maxElapsed = max(rep.maxElapsed, c.elapsed)
	}
	rep.maxPoints, rep.upstream429 = sb.MaxWindowPoints(rep.window), sb.RateLimited()
	if from.IsZero() {
		return
	}
	arrivals := sb.Arrivals()
	for w := from; !w.Add(rep.window).After(to); w = w.Add(rep.window) {
		var points int64
		for _, a := range arrivals {
			if a.Cost > 0 && !a.At.Before(w) && a.At.Before(w.Add(rep.window)) {
				points += a.Cost
			}
		}
		rep.perWindow = append(rep.perWindow, float64(points)/float64(rep.capacity))
	}
}

func (rep *faultReport) windowsText() string {
	if len(rep.perWindow) == 0 {
		return ""
	}
	parts := make([]string, len(rep.perWindow))
	for i, u := range rep.perWindow {
		parts[i] = fmt.Sprintf("%.2f", u)
	}
	return "; per window during the fault " + strings.Join(parts, " ")
}

// faultFreeze: three replicas, Redis frozen (SIGSTOP) for 3 s under 150 callers.
func (e *env) faultFreeze() (*faultReport, error) {
	rep := &faultReport{name: "freeze", fault: "Redis frozen (SIGSTOP) for 3 s", replicas: 3, callers: 150, window: 3 * time.Second,
		capacity: 300, maxWait: 2 * time.Second, timeouts: "redis.timeout 250ms (default)"}
	r, err := e.privateRedis("freeze")
	if err != nil {
		return nil, err
	}
	defer r.Stop(time.Second)
	sb, gws, callers, cleanup, err := e.faultFleet(rep, []string{r.URL(), r.URL(), r.URL()}, 0)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	start := time.Now()
	freezeAt := start.Add(e.scaled(2*time.Second, 4*time.Second, 10*time.Second))
	go func() {
		time.Sleep(time.Until(freezeAt))
		_ = syscall.Kill(r.PID(), syscall.SIGSTOP)
		time.Sleep(3 * time.Second)
		_ = syscall.Kill(r.PID(), syscall.SIGCONT)
	}()
	calls := driveFault(gws, callers, freezeAt.Add(e.scaled(5*time.Second, 8*time.Second, 20*time.Second)))
	rep.judge(sb, calls, time.Time{}, time.Time{})
	return rep, nil
}

// faultLone: one replica, Redis killed and left down while the budget was nearly idle,
// then 150 callers.
func (e *env) faultLone() (*faultReport, error) {
	rep := &faultReport{name: "lone", fault: "one replica; Redis killed and left down, then load", replicas: 1, callers: 150,
		window: 3 * time.Second, capacity: 300, maxWait: 2 * time.Second, timeouts: "redis.timeout 250ms (default)"}
	r, err := e.privateRedis("lone")
	if err != nil {
		return nil, err
	}
	defer r.Stop(time.Second)
	sb, gws, callers, cleanup, err := e.faultFleet(rep, []string{r.URL()}, 0)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	// Light load first: a few callers for a window, so the budget holds a little.
	warm := driveFault(gws, callers[:3], time.Now().Add(rep.window))
	r.Stop(0) // SIGTERM then kill; nothing is persisted
	killedAt := time.Now()
	windows := 4
	if e.quick {
		windows = 2
	}
	stop := killedAt.Add(time.Duration(windows) * rep.window)
	calls := driveFault(gws, callers, stop)
	rep.judge(sb, append(warm, calls...), killedAt, stop)
	return rep, nil
}

// faultPartition: three replicas, one cut off from Redis (a fault proxy between them)
// while the other two keep it.
func (e *env) faultPartition() (*faultReport, error) {
	rep := &faultReport{name: "partition", fault: "one replica of three cut off from Redis", replicas: 3, callers: 150,
		window: 3 * time.Second, capacity: 300, maxWait: 2 * time.Second, timeouts: "redis.timeout 250ms, upstream timeout 1s"}
	r, err := e.privateRedis("partition")
	if err != nil {
		return nil, err
	}
	defer r.Stop(time.Second)
	proxy, err := testutil.NewFaultProxy(r.Addr)
	if err != nil {
		return nil, err
	}
	defer proxy.Close()
	sb, gws, callers, cleanup, err := e.faultFleet(rep, []string{proxy.URL(), r.URL(), r.URL()}, time.Second)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	start := time.Now()
	cutAt := start.Add(2 * rep.window)
	cutFor := 5 * rep.window // hold (upstream timeout + 5 s) + window + staleness before it may spend, then two windows
	go func() {
		time.Sleep(time.Until(cutAt))
		proxy.Cut()
		time.Sleep(cutFor)
		proxy.Heal()
	}()
	calls := driveFault(gws, callers, cutAt.Add(cutFor+rep.window))
	rep.judge(sb, calls, cutAt, cutAt.Add(cutFor))
	for _, c := range calls {
		if c.replica == 0 && c.status == http.StatusOK && c.start.After(cutAt) && c.start.Add(c.elapsed).Before(cutAt.Add(cutFor)) {
			if rep.alone == 0 {
				rep.firstAlone = c.start.Sub(cutAt)
			}
			rep.alone++
		}
	}
	rep.note = fmt.Sprintf("cut for %s; the cut-off replica served %d calls alone, the first %s after the cut", cutFor, rep.alone, rep.firstAlone.Round(100*time.Millisecond))
	return rep, nil
}
