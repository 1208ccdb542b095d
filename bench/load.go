package main

import (
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// attackSpec is one load run: a fixed rate (open loop: requests are sent on schedule
// whether or not earlier ones have been answered, so queueing shows in the latencies),
// or saturation (Rate 0: Workers requests always in flight, as fast as answers come).
type attackSpec struct {
	url     string
	header  http.Header
	rate    int // requests per second; 0: saturation
	workers int // in flight at saturation; initial workers at a fixed rate
	dur     time.Duration
}

// loadResult is what one run measured, on the load generator's side.
type loadResult struct {
	sent     int
	statuses map[int]int // 0: transport errors
	elapsed  time.Duration
	lat      []time.Duration // of answers with the status counted as success, sorted
}

// attack runs spec and counts answers with status success (200 for proxied calls, 429
// for a reject storm) as the successes whose latency is kept.
func attack(spec attackSpec, success int) loadResult {
	// The harness's own transport (vegeta's defaults), so that its connections can be
	// closed after the run: an open-loop run beyond capacity opens thousands, and left
	// idle they add up, run after run, to the descriptor limit.
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	opts := []func(*vegeta.Attacker){
		vegeta.Client(&http.Client{Transport: tr}), // first: the options below tune tr
		vegeta.KeepAlive(true), vegeta.HTTP2(false), vegeta.Timeout(10 * time.Second),
		vegeta.Connections(10000), vegeta.MaxBody(0), vegeta.Redirects(vegeta.NoFollow),
	}
	pacer := vegeta.Rate{Freq: spec.rate, Per: time.Second}
	if spec.rate == 0 {
		opts = append(opts, vegeta.Workers(uint64(spec.workers)), vegeta.MaxWorkers(uint64(spec.workers)))
	} else {
		opts = append(opts, vegeta.Workers(uint64(spec.workers)), vegeta.MaxWorkers(4096))
	}
	atk := vegeta.NewAttacker(opts...)
	targeter := distinct(spec.url, spec.header)
	r := loadResult{statuses: map[int]int{}, lat: make([]time.Duration, 0, max(spec.rate, 2000)*int(spec.dur/time.Second+1))}
	start := time.Now()
	for res := range atk.Attack(targeter, pacer, spec.dur, "bench") {
		r.sent++
		r.statuses[int(res.Code)]++
		if int(res.Code) == success {
			r.lat = append(r.lat, res.Latency)
		}
	}
	r.elapsed = time.Since(start)
	slices.Sort(r.lat)
	return r
}

// distinct targets url with a query no other call has: the gateway coalesces identical
// reads in flight into one upstream call, and every call here must make its own way.
func distinct(url string, header http.Header) vegeta.Targeter {
	var n atomic.Int64
	return func(t *vegeta.Target) error {
		t.Method, t.URL, t.Header = http.MethodGet, url+"?n="+strconv.FormatInt(n.Add(1), 10), header
		return nil
	}
}

// seq numbers calls made outside vegeta, for the same reason.
var seq atomic.Int64

func nextQuery() string { return "?n=" + strconv.FormatInt(seq.Add(1), 10) }

// throughput is successful answers per second.
func (r loadResult) throughput() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.lat)) / r.elapsed.Seconds()
}

// quantile of the successful answers' latencies (nearest rank).
func (r loadResult) quantile(q float64) time.Duration { return quantile(r.lat, q) }

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// failures is every answer that was not a success.
func (r loadResult) failures() int { return r.sent - len(r.lat) }
