package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/budgetgw/gateway/bench/internal/load"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/sandbox"
)

// The fidelity scenario: three gateway processes on one Redis in front of the simulated
// Retool API, which enforces the real rule (capacity per sliding window, 429 and a lockout
// when exceeded) on a window scaled down from 60 s, and keeps its own log of every call.
// 300 callers, a third each making 2-, 5- and 10-point calls, each one call at a time and
// honouring Retry-After. The verdict comes from the upstream's log, not the gateway's.

// costClass is the call a caller makes.
type costClass struct {
	method, path string
	cost         int64
}

var fidelityOps = []costClass{
	{http.MethodGet, "/api/v2/users", 2},
	{http.MethodGet, "/api/v2/groups", 5},
	{http.MethodPost, "/api/v2/permissions/listObjects", 10},
}

type fidelityReport struct {
	replicas, callers int
	capacity          int64
	window, span      time.Duration
	maxWait           time.Duration
	latency           [2]time.Duration
	maxPoints         int64
	points            int64
	calls             int
	upstream429       int
	utilisation       float64
	statuses          map[int]int      // at the callers; 0: transport errors
	waits             []time.Duration  // admitted calls' time waiting for points (gateway logs), sorted
	byCaller          map[string]int64 // points per caller, from the callers' 200s
	callerCost        map[string]int64
}

// runFidelity runs the scenario twice: with max_wait scaled like the window (the shipped
// 5 s against Retool's 60 s), and with max_wait of one and a half windows, so that a call
// refused just after a burst can still wait for the next release: most admitted calls then
// have waited in the line the replicas share.
func (e *env) runFidelity() ([]*fidelityReport, error) {
	window, span := 5*time.Second, e.scaled(6*time.Second, 30*time.Second, 120*time.Second)
	if e.quick {
		window = 2 * time.Second
	}
	var out []*fidelityReport
	for _, maxWait := range []time.Duration{window * 5 / 60, window * 3 / 2} {
		rep, err := e.runFidelityOnce(window, span, maxWait.Round(10*time.Millisecond))
		if err != nil {
			return out, err
		}
		out = append(out, rep)
	}
	return out, nil
}

func (e *env) runFidelityOnce(window, span, maxWait time.Duration) (*fidelityReport, error) {
	rep := &fidelityReport{replicas: 3, callers: 300, capacity: 300, window: window, span: span, maxWait: maxWait,
		latency:  [2]time.Duration{2 * time.Millisecond, 20 * time.Millisecond},
		statuses: map[int]int{}, byCaller: map[string]int64{}, callerCost: map[string]int64{}}
	sb, base, closeSandbox, err := e.startSandbox(rep)
	if err != nil {
		return nil, err
	}
	defer closeSandbox()
	if err := e.redis.Flush(); err != nil {
		return nil, err
	}
	callers := make([]caller, rep.callers)
	for i := range callers {
		callers[i] = newCaller(fmt.Sprintf("c%03d", i))
		rep.callerCost[callers[i].name] = fidelityOps[i%len(fidelityOps)].cost
	}
	var gws []*gatewayProc
	defer func() {
		for _, g := range gws {
			g.Stop(10 * time.Second)
		}
	}()
	for i := range rep.replicas {
		g, err := e.startGateway(gatewaySpec{name: fmt.Sprintf("gateway-fidelity-%d", i), upstream: base, replicas: rep.replicas,
			capacity: rep.capacity, window: rep.window, maxWait: rep.maxWait, callers: callers})
		if err != nil {
			return nil, err
		}
		gws = append(gws, g)
	}

	rep.drive(gws, callers)
	for _, g := range gws {
		g.Stop(10 * time.Second) // flushes the access logs read below
		waits, err := admittedWaits(g.logPath)
		if err != nil {
			return nil, err
		}
		rep.waits = append(rep.waits, waits...)
	}
	slices.Sort(rep.waits)
	rep.judge(sb)
	fmt.Printf("  max_wait %s: max %d/%d points in any %s window, %d upstream 429s, utilisation %.3f, %d calls, statuses %v\n",
		rep.maxWait, rep.maxPoints, rep.capacity, rep.window, rep.upstream429, rep.utilisation, rep.calls, rep.statuses)
	return rep, nil
}

func (e *env) startSandbox(rep *fidelityReport) (*sandbox.Server, string, func(), error) {
	table, err := routes.Build("retool-v2", "retool-v2", nil)
	if err != nil {
		return nil, "", nil, err
	}
	o := sandbox.Options{Token: e.orgToken, Capacity: rep.capacity, Window: rep.window, Lockout: rep.window, Latency: rep.latency, Seed: 1}
	o.UseRoutes(table)
	sb := sandbox.New(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return sb, "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// drive runs every caller until the span ends: one call at a time; after a 429 or 503 it
// sleeps the Retry-After less up to a second of jitter (so the herd does not stay in phase).
func (rep *fidelityReport) drive(gws []*gatewayProc, callers []caller) {
	tr := &http.Transport{MaxIdleConnsPerHost: len(callers), MaxConnsPerHost: len(callers)}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	stop := time.Now().Add(rep.span)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i)))
			op := fidelityOps[i%len(fidelityOps)]
			g := gws[(i/len(fidelityOps))%len(gws)] // every replica serves every cost class
			for time.Now().Before(stop) {
				req, _ := http.NewRequest(op.method, g.url+op.path+load.NextQuery(), strings.NewReader(`{"object_type":"folder"}`))
				req.Header = bearer(c.key)
				req.Header.Set("Content-Type", "application/json")
				status, retry := 0, time.Duration(0)
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
					status = resp.StatusCode
					s, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
					retry = time.Duration(s) * time.Second
				}
				mu.Lock()
				rep.statuses[status]++
				if status == http.StatusOK {
					rep.byCaller[c.name] += op.cost
				}
				mu.Unlock()
				if status != http.StatusOK {
					d := retry - time.Duration(rng.Int63n(int64(time.Second)))
					time.Sleep(min(max(d, 10*time.Millisecond), time.Until(stop)))
				}
			}
		}()
	}
	wg.Wait()
}

// judge reads the upstream's own log.
func (rep *fidelityReport) judge(sb *sandbox.Server) {
	var first, last time.Time
	for _, a := range sb.Arrivals() {
		if a.Cost == 0 {
			continue
		}
		rep.points += a.Cost
		rep.calls++
		if first.IsZero() || a.At.Before(first) {
			first = a.At
		}
		if a.At.After(last) {
			last = a.At
		}
	}
	rep.maxPoints = sb.MaxWindowPoints(rep.window)
	rep.upstream429 = sb.RateLimited()
	if rep.calls > 0 {
		possible := float64(rep.capacity) * (float64(last.Sub(first))/float64(rep.window) + 1)
		rep.utilisation = float64(rep.points) / possible
	}
}

// admittedWaits reads the time admitted calls waited for points from an access log.
func admittedWaits(path string) ([]time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []time.Duration
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg      string   `json:"msg"`
			Admitted *bool    `json:"admitted"`
			Wait     *float64 `json:"wait"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "request" || line.Admitted == nil || !*line.Admitted || line.Wait == nil {
			continue
		}
		out = append(out, time.Duration(*line.Wait*float64(time.Second)))
	}
	return out, sc.Err()
}
