package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/budgetgw/gateway/bench/internal/load"
)

// The memory scenario: the gateway's own resident memory (it runs as a separate process
// built from ./cmd/gateway) with many idle keep-alive connections, and with many requests
// waiting for points.

type memoryReport struct {
	fdLimit     uint64
	idle        []memPoint // baseline, then each count of idle connections
	waitBase    memPoint   // the second gateway, its budget spent
	waiting     memPoint
	waitWant    int
	released503 int // waiting requests answered 503 when the gateway was told to stop
}

type memPoint struct {
	conns      int
	rss        int64
	goroutines float64
}

func (e *env) runMemory(fdLimit uint64) (*memoryReport, error) {
	rep := &memoryReport{fdLimit: fdLimit, waitWant: 1000}
	counts := []int{1000, 10000}
	if e.quick {
		counts, rep.waitWant = []int{200, 1000}, 200
	}
	if lim := int(fdLimit) - 1000; counts[len(counts)-1] > lim {
		counts[len(counts)-1] = lim // the harness and the gateway each hold one descriptor per connection
	}
	up, upURL, err := e.startUpstream()
	if err != nil {
		return nil, err
	}
	defer up.Stop(5 * time.Second)
	if err := e.idleConnections(rep, upURL, counts); err != nil {
		return nil, err
	}
	if err := e.waitingRequests(rep, upURL); err != nil {
		return nil, err
	}
	return rep, nil
}

func (e *env) idleConnections(rep *memoryReport, upURL string, counts []int) error {
	if err := e.redis.Flush(); err != nil {
		return err
	}
	cl := newCaller("idle")
	gw, err := e.startGateway(gatewaySpec{name: "gateway-memory-idle", upstream: upURL, capacity: 1 << 40, window: 10 * time.Second, maxWait: 5 * time.Second, callers: []caller{cl}})
	if err != nil {
		return err
	}
	defer gw.Stop(10 * time.Second)
	load.Attack(load.Spec{URL: gw.url + "/api/v2/users", Header: bearer(cl.key), Workers: 8, Dur: time.Second}, http.StatusOK) // warm
	rep.idle = append(rep.idle, measure(gw, 0))
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for _, n := range counts {
		more, err := openIdle(gw.url, cl.key, n-len(conns))
		conns = append(conns, more...)
		if err != nil {
			return fmt.Errorf("open %d idle connections: %w", n, err)
		}
		time.Sleep(time.Second) // let the gateway's goroutines park
		rep.idle = append(rep.idle, measure(gw, len(conns)))
		fmt.Printf("  %6d idle keep-alive connections: RSS %.1f MiB\n", len(conns), mib(rep.idle[len(rep.idle)-1].rss))
	}
	return nil
}

func (e *env) waitingRequests(rep *memoryReport, upURL string) error {
	if err := e.redis.Flush(); err != nil {
		return err
	}
	cl := newCaller("waiter")
	// The budget is 2 points per waiter; it is spent, its points come back a minute after
	// the answers, and max_wait is longer than that: every later call waits in the line.
	n := rep.waitWant
	gw, err := e.startGateway(gatewaySpec{name: "gateway-memory-waiting", upstream: upURL, capacity: int64(2 * n), window: time.Minute, maxWait: 90 * time.Second, callers: []caller{cl}})
	if err != nil {
		return err
	}
	defer gw.Stop(10 * time.Second)
	if err := spend(gw.url, cl.key, n); err != nil {
		return err
	}
	rep.waitBase = measure(gw, 0)
	conns, err := openWaiting(gw.url, cl.key, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		w, err := metricValue(gw.admin, "gateway_budget_waiters")
		if err == nil && int(w) >= n {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %.0f of %d requests are waiting", w, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	rep.waiting = measure(gw, n)
	fmt.Printf("  %6d requests waiting for points: RSS %.1f MiB (%.1f MiB before)\n", n, mib(rep.waiting.rss), mib(rep.waitBase.rss))

	// SIGTERM: every waiter must be released with a 503 it can retry elsewhere.
	var released atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					released.Add(1)
				}
			}
		}()
	}
	gw.Stop(10 * time.Second)
	wg.Wait()
	rep.released503 = int(released.Load())
	return nil
}

// spend sends n 2-point calls, 16 at a time, and closes its connections: the budget is
// then spent and the gateway holds no client connection.
func spend(base, key string, n int) error {
	tr := &http.Transport{MaxConnsPerHost: 16, MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var failed atomic.Int64
	var wg sync.WaitGroup
	next := make(chan struct{})
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				req, _ := http.NewRequest(http.MethodGet, base+"/api/v2/users"+load.NextQuery(), nil)
				req.Header = bearer(key)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	for range n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("spending the budget: %d of %d calls failed", f, n)
	}
	return nil
}

func measure(gw *gatewayProc, conns int) memPoint {
	g, _ := metricValue(gw.admin, "go_goroutines")
	return memPoint{conns: conns, rss: gw.RSS(), goroutines: g}
}

// openIdle opens n connections, sends one call on each, reads the answer whole and keeps
// the connection open and idle.
func openIdle(base, key string, n int) ([]net.Conn, error) {
	return openConns(base, key, n, true)
}

// openWaiting opens n connections and sends one call on each, without reading.
func openWaiting(base, key string, n int) ([]net.Conn, error) {
	return openConns(base, key, n, false)
}

func openConns(base, key string, n int, read bool) ([]net.Conn, error) {
	addr := strings.TrimPrefix(base, "http://")
	conns := make([]net.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 128)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
			request := "GET /api/v2/users" + load.NextQuery() + " HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + key + "\r\n\r\n"
			if _, err := io.WriteString(c, request); err != nil {
				errs <- err
				return
			}
			if !read {
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
			_ = c.SetReadDeadline(time.Time{})
		}()
	}
	wg.Wait()
	close(errs)
	var out []net.Conn
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	if err, failed := <-errs; failed {
		return out, err
	}
	return out, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
