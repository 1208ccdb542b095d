package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/budgetgw/gateway/bench/internal/load"
	"github.com/budgetgw/gateway/bench/internal/proc"
)

// The overload scenario: the Redis store when the gateway itself runs short of CPU, and
// when Redis freezes while a large budget carries many calls.
//   - Held connections: 1024 requests always in flight, distinct reads, a budget far too
//     large to bind. A plain reverse proxy only gets slower; the gateway must too, without
//     taking its own slowness for a Redis fault (opening the breaker).
//   - Freeze under load: 256 in flight against a budget whose window holds tens of
//     thousands of calls; Redis is frozen (SIGSTOP) for 3 s. The replica must carry on
//     alone and come back to Redis as soon as it answers, journal and all.

const (
	heldWorkers   = 1024
	freezeWorkers = 256
	freezeFor     = 3 * time.Second
)

type overloadRow struct {
	target string
	res    load.Result
	opened int           // times the breaker opened ("budget store unreachable" log lines)
	back   time.Duration // freeze rows: from Redis resuming to "answers again"; <0 never
}

type overloadReport struct {
	heldDur, freezeDur, freezeAt time.Duration
	held, freeze                 []overloadRow
}

func (e *env) runOverload() (*overloadReport, error) {
	up, upURL, err := e.startUpstream()
	if err != nil {
		return nil, err
	}
	defer up.Stop(5 * time.Second)
	rep := &overloadReport{heldDur: e.scaled(3*time.Second, 10*time.Second, 30*time.Second),
		freezeAt: e.scaled(5*time.Second, 15*time.Second, 30*time.Second)}
	rep.freezeDur = rep.freezeAt + e.scaled(5*time.Second, 10*time.Second, 15*time.Second)
	cl := newCaller("bench")

	plainPort := proc.FreePort()
	plainURL := "http://127.0.0.1:" + strconv.Itoa(plainPort)
	plain, err := e.startChild("plainproxy-overload", plainURL+"/__bench/stats", "plainproxy",
		"-listen", "127.0.0.1:"+strconv.Itoa(plainPort), "-target", upURL, "-token", e.orgToken)
	if err != nil {
		return nil, err
	}
	rep.held = append(rep.held, overloadRow{target: targetPlain,
		res: load.Attack(load.Spec{URL: plainURL + "/api/v2/users", Header: bearer(cl.key), Workers: heldWorkers, Dur: rep.heldDur}, 200)})
	plain.Stop(5 * time.Second)

	for _, b := range e.gatewayBuilds() {
		row, err := e.overloadHeld(b, upURL, cl, rep.heldDur)
		if err != nil {
			return rep, err
		}
		rep.held = append(rep.held, row)
	}
	for _, b := range e.gatewayBuilds() {
		row, err := e.overloadFreeze(b, upURL, cl, rep)
		if err != nil {
			return rep, err
		}
		rep.freeze = append(rep.freeze, row)
	}
	return rep, nil
}

// gatewayBuild is a gateway binary under test: this tree's, and the baseline's if set.
type gatewayBuild struct{ target, binary string }

func (e *env) gatewayBuilds() []gatewayBuild {
	out := []gatewayBuild{{target: targetGateway}}
	if e.baseline != "" {
		out = append(out, gatewayBuild{target: targetBeforeGateway, binary: e.baseline})
	}
	return out
}

func (e *env) overloadHeld(b gatewayBuild, upURL string, cl caller, dur time.Duration) (overloadRow, error) {
	if err := e.redis.Flush(); err != nil {
		return overloadRow{}, err
	}
	g, err := e.startGateway(gatewaySpec{name: "gateway-held-" + strconv.FormatBool(b.binary != ""), binary: b.binary,
		upstream: upURL, capacity: 1 << 40, window: 10 * time.Second, maxWait: 5 * time.Second, callers: []caller{cl}})
	if err != nil {
		return overloadRow{}, err
	}
	defer g.Stop(10 * time.Second)
	row := overloadRow{target: b.target,
		res: load.Attack(load.Spec{URL: g.url + "/api/v2/users", Header: bearer(cl.key), Workers: heldWorkers, Dur: dur}, 200)}
	row.opened, _ = storeLog(g.logPath, time.Time{})
	return row, nil
}

func (e *env) overloadFreeze(b gatewayBuild, upURL string, cl caller, rep *overloadReport) (overloadRow, error) {
	r, err := e.privateRedis("overload-freeze-" + strconv.FormatBool(b.binary != ""))
	if err != nil {
		return overloadRow{}, err
	}
	defer r.Stop(time.Second)
	// A 10 s window and 2 s upstream timeout: every call is counted for about 12 s, so the
	// journal holds some 50k calls when Redis freezes.
	g, err := e.startGateway(gatewaySpec{name: "gateway-freeze-" + strconv.FormatBool(b.binary != ""), binary: b.binary, upstream: upURL,
		capacity: 1 << 40, window: 10 * time.Second, maxWait: 5 * time.Second, callers: []caller{cl}, redisURL: r.URL(), timeout: 2 * time.Second})
	if err != nil {
		return overloadRow{}, err
	}
	defer g.Stop(10 * time.Second)
	resumed := make(chan time.Time, 1)
	go func() {
		time.Sleep(rep.freezeAt)
		_ = syscall.Kill(r.PID(), syscall.SIGSTOP)
		time.Sleep(freezeFor)
		_ = syscall.Kill(r.PID(), syscall.SIGCONT)
		resumed <- time.Now()
	}()
	row := overloadRow{target: b.target,
		res: load.Attack(load.Spec{URL: g.url + "/api/v2/users", Header: bearer(cl.key), Workers: freezeWorkers, Dur: rep.freezeDur}, 200)}
	at := <-resumed
	time.Sleep(2 * time.Second) // a store that comes back only once the load stops still counts
	var backAt time.Time
	row.opened, backAt = storeLog(g.logPath, at)
	row.back = -1
	if !backAt.IsZero() {
		row.back = max(backAt.Sub(at), 0)
	}
	return row, nil
}

// storeLog reads a gateway's log: how often the breaker opened, and the first time after
// since that the store answered again (zero: never).
func storeLog(path string, since time.Time) (opened int, back time.Time) {
	f, err := os.Open(path)
	if err != nil {
		return 0, time.Time{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), "budget store") {
			continue
		}
		var l struct {
			TS  time.Time `json:"ts"`
			Msg string    `json:"msg"`
		}
		if json.Unmarshal(line, &l) != nil {
			continue
		}
		switch {
		case strings.HasPrefix(l.Msg, "budget store unreachable"):
			opened++
		case strings.HasPrefix(l.Msg, "budget store answers again") && back.IsZero() && !since.IsZero() && !l.TS.Before(since.Add(-freezeFor)):
			back = l.TS
		}
	}
	return opened, back
}
