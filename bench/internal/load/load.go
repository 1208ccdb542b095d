// Package load is the harness's load generator: vegeta used as a library, every call with
// a query of its own, every answer's latency kept and sorted (exact quantiles, not a
// sketch).
//
// It only sends and measures; it never judges a result against a target, and it closes
// every connection it opened when a run ends.
package load

import (
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Spec is one load run: a fixed rate (open loop: requests are sent on schedule
// whether or not earlier ones have been answered, so queueing shows in the latencies),
// or saturation (Rate 0: Workers requests always in flight, as fast as answers come).
type Spec struct {
	URL     string
	Header  http.Header
	Rate    int // requests per second; 0: saturation
	Workers int // in flight at saturation; initial workers at a fixed rate
	Dur     time.Duration
	// Conns, when set, carries the run's connections and keeps them open after it (see
	// NewConns): runs of one target interleaved with others' then start warm. Nil: the run
	// opens its own and closes them when it ends.
	Conns *http.Transport
}

// NewConns is a transport to share between the runs of one target (Spec.Conns). The
// caller closes its idle connections when done.
func NewConns() *http.Transport {
	return &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext}
}

// Result is what one run measured, on the load generator's side.
type Result struct {
	Sent      int
	Statuses  map[int]int // 0: transport errors
	Elapsed   time.Duration
	Latencies []time.Duration // of answers with the status counted as success, sorted
}

// Attack runs spec and counts answers with status success (200 for proxied calls, 429
// for a reject storm) as the successes whose latency is kept.
func Attack(spec Spec, success int) Result {
	// The harness's own transport (vegeta's defaults), so that its connections can be
	// closed after the run: an open-loop run beyond capacity opens thousands, and left
	// idle they add up, run after run, to the descriptor limit.
	tr := spec.Conns
	if tr == nil {
		tr = NewConns()
		defer tr.CloseIdleConnections()
	}
	opts := []func(*vegeta.Attacker){
		vegeta.Client(&http.Client{Transport: tr}), // first: the options below tune tr
		vegeta.KeepAlive(true), vegeta.HTTP2(false), vegeta.Timeout(10 * time.Second),
		vegeta.Connections(10000), vegeta.MaxBody(0), vegeta.Redirects(vegeta.NoFollow),
	}
	pacer := vegeta.Rate{Freq: spec.Rate, Per: time.Second}
	if spec.Rate == 0 {
		opts = append(opts, vegeta.Workers(uint64(spec.Workers)), vegeta.MaxWorkers(uint64(spec.Workers)))
	} else {
		opts = append(opts, vegeta.Workers(uint64(spec.Workers)), vegeta.MaxWorkers(4096))
	}
	atk := vegeta.NewAttacker(opts...)
	targeter := distinct(spec.URL, spec.Header)
	r := Result{Statuses: map[int]int{}, Latencies: make([]time.Duration, 0, max(spec.Rate, 2000)*int(spec.Dur/time.Second+1))}
	start := time.Now()
	for res := range atk.Attack(targeter, pacer, spec.Dur, "bench") {
		r.Sent++
		r.Statuses[int(res.Code)]++
		if int(res.Code) == success {
			r.Latencies = append(r.Latencies, res.Latency)
		}
	}
	r.Elapsed = time.Since(start)
	slices.Sort(r.Latencies)
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

// NextQuery is a query no other call made outside vegeta has ("?n=<sequence>").
func NextQuery() string { return "?n=" + strconv.FormatInt(seq.Add(1), 10) }

// Throughput is successful answers per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// Quantile of the successful answers' latencies (nearest rank).
func (r Result) Quantile(q float64) time.Duration { return Quantile(r.Latencies, q) }

// Quantile of sorted durations (nearest rank); 0 when there are none.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Merge is the runs as one: their answers pooled, their times added.
func Merge(rs ...Result) Result {
	m := Result{Statuses: map[int]int{}}
	for _, r := range rs {
		m.Sent += r.Sent
		m.Elapsed += r.Elapsed
		for code, n := range r.Statuses {
			m.Statuses[code] += n
		}
		m.Latencies = append(m.Latencies, r.Latencies...)
	}
	slices.Sort(m.Latencies)
	return m
}

// Failures is every answer that was not a success.
func (r Result) Failures() int { return r.Sent - len(r.Latencies) }
