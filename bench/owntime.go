package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/budgetgw/gateway/bench/internal/load"
)

// span is one measured slice of a run, on the harness's clock.
type span struct{ from, to time.Time }

// ownTimes splits a gateway's latency at 1000 rps in two, from its access log: the upstream
// exchange as the gateway saw it (upstream_duration: from handing the call to the transport
// to the answer's headers), and the rest of the request's time inside the gateway
// (duration − upstream_duration: authentication, routing, the budget, the metrics, the log
// line, copying the answer). The load generator's p99 holds both, and the hops on either
// side; this says which part is the gateway's own work.
type ownTimes struct {
	own, upstream []time.Duration // sorted
}

// readOwnTimes reads the request lines of the access log at path that were written within
// one of spans; finding none is an error.
func readOwnTimes(path string, spans []span) (*ownTimes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var o ownTimes
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	tsKey := []byte(`"ts":"`)
	for sc.Scan() {
		line := sc.Bytes()
		// The logs hold every run of the scenario: look at the timestamp before decoding
		// the rest.
		i := bytes.Index(line, tsKey)
		if i < 0 {
			continue
		}
		rest := line[i+len(tsKey):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
		if err != nil || !within(ts, spans) {
			continue
		}
		var req struct {
			Msg      string   `json:"msg"`
			Duration *float64 `json:"duration"`
			Upstream *float64 `json:"upstream_duration"`
		}
		if json.Unmarshal(line, &req) != nil || req.Msg != "request" || req.Duration == nil || req.Upstream == nil {
			continue
		}
		o.own = append(o.own, seconds(*req.Duration-*req.Upstream))
		o.upstream = append(o.upstream, seconds(*req.Upstream))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(o.own) == 0 {
		// Calls were answered in those slices: a log without their lines has changed shape.
		return nil, fmt.Errorf("no request lines with duration and upstream_duration written within the measured slices (has the access log changed?)")
	}
	slices.Sort(o.own)
	slices.Sort(o.upstream)
	return &o, nil
}

func within(t time.Time, spans []span) bool {
	for _, s := range spans {
		if !t.Before(s.from) && !t.After(s.to) {
			return true
		}
	}
	return false
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func (o *ownTimes) ownQ(q float64) time.Duration      { return load.Quantile(o.own, q) }
func (o *ownTimes) upstreamQ(q float64) time.Duration { return load.Quantile(o.upstream, q) }
