package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/budgetgw/gateway/bench/internal/load"
	"github.com/budgetgw/gateway/bench/internal/redisserver"
	"github.com/budgetgw/gateway/bench/internal/servers"
)

// The reject storm: the budget is spent for the next minute and one caller floods the
// gateway. Every answer must be a 429, and the refusals should cost Redis nothing (the
// gate remembers until when the budget is short and answers locally).

type stormReport struct {
	dur          time.Duration
	res          load.Result
	commands     map[string]int64 // Redis commands during the storm, by name
	total        int64
	idleCommands int64 // Redis commands in an equal span with no traffic (background sync)
	idleByName   map[string]int64
	gatewayCPU   time.Duration
	arrivals     int64 // calls that reached the upstream during the storm
}

func (s stormReport) rejections() int { return len(s.res.Latencies) }

func (s stormReport) perRejection(n int64) float64 {
	if s.rejections() == 0 {
		return 0
	}
	return float64(n) / float64(s.rejections())
}

func (e *env) runStorm() (*stormReport, error) {
	up, upURL, err := e.startUpstream()
	if err != nil {
		return nil, err
	}
	defer up.Stop(5 * time.Second)
	if err := e.redis.Flush(); err != nil {
		return nil, err
	}
	cl := newCaller("flood")
	gw, err := e.startGateway(gatewaySpec{name: "gateway-storm", upstream: upURL, capacity: 10, window: time.Minute, callers: []caller{cl}})
	if err != nil {
		return nil, err
	}
	defer gw.Stop(10 * time.Second)
	rep := &stormReport{dur: e.scaled(2*time.Second, 8*time.Second, 30*time.Second)}

	// Spend the budget: five 2-point calls (a new budget refuses for its first second
	// while replicas could write back, so retry until they are through).
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	for spent, deadline := 0, time.Now().Add(10*time.Second); spent < 5; {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("could not spend the storm budget")
		}
		req, _ := http.NewRequest(http.MethodGet, gw.url+"/api/v2/users"+load.NextQuery(), nil)
		req.Header = bearer(cl.key)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			spent++
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}

	// One refused call first: from the first refusal on, the replica knows until when the
	// budget is short. (Before it, the first wave of concurrent asks each runs the script.)
	req, _ := http.NewRequest(http.MethodGet, gw.url+"/api/v2/users"+load.NextQuery(), nil)
	req.Header = bearer(cl.key)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		return nil, fmt.Errorf("the call after the budget was spent got %d, want 429", resp.StatusCode)
	}

	idle0, err := e.redis.CommandCalls()
	if err != nil {
		return nil, err
	}
	time.Sleep(rep.dur)
	idle1, _ := e.redis.CommandCalls()
	rep.idleByName, rep.idleCommands = redisserver.CallsBetween(idle0, idle1)

	before, _ := e.redis.CommandCalls()
	cpu0 := gw.CPU()
	st0, _ := servers.FetchUpstreamStats(upURL)
	rep.res = load.Attack(load.Spec{URL: gw.url + "/api/v2/users", Header: bearer(cl.key), Workers: saturationWorkers, Dur: rep.dur}, http.StatusTooManyRequests)
	rep.gatewayCPU = gw.CPU() - cpu0
	st1, _ := servers.FetchUpstreamStats(upURL)
	after, _ := e.redis.CommandCalls()
	rep.commands, rep.total = redisserver.CallsBetween(before, after)
	rep.arrivals = st1.Arrivals - st0.Arrivals
	fmt.Printf("  %d rejections in %s (%.0f/s), %d Redis commands (%d in an idle %s), %d other answers\n",
		rep.rejections(), rep.res.Elapsed.Round(time.Millisecond), rep.res.Throughput(), rep.total, rep.idleCommands, rep.dur, rep.res.Failures())
	return rep, nil
}
