package budget

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/testutil"
)

// scriptCalls is how many EVALSHA and EVAL calls the server has run (INFO commandstats).
func scriptCalls(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatalf("INFO commandstats: %v", err)
	}
	var n int64
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "cmdstat_evalsha:") && !strings.HasPrefix(line, "cmdstat_eval:") {
			continue
		}
		for _, f := range strings.Split(line[strings.Index(line, ":")+1:], ",") {
			if v, ok := strings.CutPrefix(f, "calls="); ok {
				k, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatalf("commandstats %q: %v", line, err)
				}
				n += k
			}
		}
	}
	return n
}

// queueAsks holds the budget's line busy (as if a batch were in flight), starts one Take
// per ask in order, and waits until every one is queued. The caller then sends the batch
// with r.next. Returns where each ask's decision will arrive.
func queueAsks(t *testing.T, r *Redis, spec *Spec, asks []Ask) []chan Decision {
	t.Helper()
	q := r.queueOf(spec, false)
	q.mu.Lock()
	q.busy = true
	q.mu.Unlock()
	out := make([]chan Decision, len(asks))
	for i, ask := range asks {
		out[i] = make(chan Decision, 1)
		go func() {
			d, err := r.Take(context.Background(), spec, ask)
			if err != nil {
				t.Errorf("take %d: %v", i, err)
			}
			out[i] <- d
		}()
		// One at a time, so the line's order is the asks' order.
		waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.q) == i+1 })
	}
	return out
}

// batchRedis is a Redis store on a private server, and its client (to read the server's
// command counts).
func batchRedis(t *testing.T) (*Redis, *redis.Client) {
	t.Helper()
	srv := testutil.StartRedis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return NewRedis(c, RedisOptions{RestoreGrace: -1}), c
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: a loaded machine only makes it slower
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRedisDecidesQueuedAsksInOneScriptCall(t *testing.T) {
	r, c := batchRedis(t)
	spec := &Spec{Name: "batched", Capacity: 10, Window: time.Minute, Hold: time.Minute}
	// A lone ask is one script call (and loads the script, so the count below is exact).
	before := scriptCalls(t, c)
	if d, err := r.Take(context.Background(), spec, Ask{Caller: "warm", Cost: 1}); err != nil || !d.Allowed {
		t.Fatalf("lone ask: %+v %v", d, err)
	}
	if n := scriptCalls(t, c) - before; n < 1 || n > 2 { // EVALSHA, plus EVAL the first time
		t.Fatalf("a lone ask made %d script calls", n)
	}

	asks := make([]Ask, 40)
	for i := range asks {
		asks[i] = Ask{Caller: "c" + strconv.Itoa(i), Cost: 1}
	}
	got := queueAsks(t, r, spec, asks)
	before = scriptCalls(t, c)
	r.next(spec, r.queueOf(spec, false), nil)
	for i, ch := range got {
		d := <-ch
		// Decided in arrival order: 9 points were free.
		if want := i < 9; d.Allowed != want {
			t.Errorf("ask %d: allowed=%v reason=%q; want allowed=%v", i, d.Allowed, d.Reason, want)
		}
		if !d.Allowed && d.Reason != ReasonExhausted {
			t.Errorf("ask %d refused for %q; want exhausted", i, d.Reason)
		}
	}
	if n := scriptCalls(t, c) - before; n != 1 {
		t.Fatalf("40 queued asks took %d script calls; want 1", n)
	}
	u, err := r.Usage(context.Background(), spec)
	if err != nil || u.Used != 10 {
		t.Fatalf("used %d (%v); want exactly the capacity, 10", u.Used, err)
	}
	q := r.queueOf(spec, false)
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return !q.busy })
}

// Within a batch, the waiting line, priorities and caller caps hold as between calls.
func TestRedisBatchKeepsLineCapsAndPriorities(t *testing.T) {
	r, _ := batchRedis(t)
	spec := &Spec{Name: "fair", Capacity: 10, Window: time.Minute, Hold: time.Minute, Reserve: 2}
	if d, err := r.Take(context.Background(), spec, Ask{Caller: "early", Cost: 4}); err != nil || !d.Allowed {
		t.Fatalf("first ask: %+v %v", d, err)
	}
	asks := []Ask{
		// 4 of 8 normal points left: the expensive ask is refused and queues.
		{Caller: "big", Cost: 6, Waiter: &Waiter{ID: "w-big", Patience: time.Minute}},
		// Its 6 points are set aside: a cheap ask behind it may not take them.
		{Caller: "cheap", Cost: 1},
		// The reserve is for critical asks, which are served before the waiter.
		{Caller: "crit", Cost: 2, Priority: PriorityCritical},
		// A caller's cap holds inside one batch.
		{Caller: "capped", Cost: 1, CallerCap: 1, Priority: PriorityCritical},
		{Caller: "capped", Cost: 1, CallerCap: 1, Priority: PriorityCritical},
	}
	got := queueAsks(t, r, spec, asks)
	r.next(spec, r.queueOf(spec, false), nil)
	want := []struct {
		allowed bool
		reason  Reason
	}{{false, ReasonExhausted}, {false, ReasonExhausted}, {true, ReasonNone}, {true, ReasonNone}, {false, ReasonCallerCap}}
	for i, ch := range got {
		d := <-ch
		if d.Allowed != want[i].allowed || d.Reason != want[i].reason {
			t.Errorf("ask %d (%s/%d): allowed=%v reason=%q; want allowed=%v reason=%q",
				i, asks[i].Caller, asks[i].Cost, d.Allowed, d.Reason, want[i].allowed, want[i].reason)
		}
		if i == 0 && d.Waiter == "" {
			t.Error("the refused expensive ask got no place in the line")
		}
	}
	u, err := r.Usage(context.Background(), spec)
	if err != nil || u.Used != 7 || u.Waiters != 1 {
		t.Fatalf("used %d, waiters %d (%v); want 7 and 1", u.Used, u.Waiters, err)
	}
}

// A batch's asks whose callers gave up before it left are not sent.
func TestRedisBatchSkipsAsksWhoseCallerLeft(t *testing.T) {
	r, _ := batchRedis(t)
	spec := &Spec{Name: "left", Capacity: 10, Window: time.Minute, Hold: time.Minute}
	q := r.queueOf(spec, false)
	q.mu.Lock()
	q.busy = true
	q.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := r.Take(ctx, spec, Ask{Caller: "gone", Cost: 5}); err == nil {
			t.Error("a caller that gave up got a decision")
		}
	}()
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.q) == 1 })
	cancel()
	wg.Wait()
	r.next(spec, q, nil)
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return !q.busy })
	u, err := r.Usage(context.Background(), spec)
	if err != nil || u.Used != 0 {
		t.Fatalf("used %d (%v); want 0: the ask was never sent", u.Used, err)
	}
}

// More asks than one batch holds leave together, in batches side by side, and together
// they admit exactly what one line of calls would.
func TestRedisSendsALongLineInBatchesSideBySide(t *testing.T) {
	r, c := batchRedis(t)
	spec := &Spec{Name: "long", Capacity: 100, Window: time.Minute, Hold: time.Minute}
	if d, err := r.Take(context.Background(), spec, Ask{Caller: "warm", Cost: 1}); err != nil || !d.Allowed {
		t.Fatalf("lone ask: %+v %v", d, err)
	}
	asks := make([]Ask, 3*maxBatch)
	for i := range asks {
		asks[i] = Ask{Caller: "c" + strconv.Itoa(i%7), Cost: 1}
	}
	got := queueAsks(t, r, spec, asks)
	before := scriptCalls(t, c)
	r.next(spec, r.queueOf(spec, false), nil)
	allowed := 0
	for _, ch := range got {
		if d := <-ch; d.Allowed {
			allowed++
		}
	}
	if allowed != 99 {
		t.Errorf("%d of %d asks admitted; want the 99 points left", allowed, len(asks))
	}
	if n := scriptCalls(t, c) - before; n != 3 {
		t.Errorf("%d queued asks took %d script calls; want 3", len(asks), n)
	}
}

// openHook is a Failover whose breaker is open.
type openHook struct{}

func (openHook) beatFor(*Spec) (heartbeat, time.Time, time.Time) {
	return heartbeat{}, time.Time{}, time.Now()
}
func (openHook) answeredFor(*Spec, heartbeat, time.Time, int64, time.Time) {}
func (openHook) open() bool                                                { return true }

// Asks still in the line when the breaker opens leave it at once, unsent: they are
// decided locally instead of waiting out their timeout on a Redis that does not answer.
func TestRedisLineEmptiesUnsentWhenTheBreakerOpens(t *testing.T) {
	r, c := batchRedis(t)
	spec := &Spec{Name: "opened", Capacity: 10, Window: time.Minute, Hold: time.Minute}
	q := r.queueOf(spec, true)
	q.mu.Lock()
	q.busy = true // a batch is in flight
	q.mu.Unlock()
	before := scriptCalls(t, c)
	results := make(chan takeResult, 3)
	for range 3 {
		go func() { results <- r.submit(context.Background(), spec, Ask{Caller: "a", Cost: 1}, openHook{}) }()
	}
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.q) == 3 })
	r.next(spec, q, openHook{})
	for range 3 {
		res := <-results
		if !errors.Is(res.err, errBreakerOpen) || !res.sent.IsZero() {
			t.Errorf("err %v, sent %v; want errBreakerOpen and never sent", res.err, res.sent)
		}
	}
	if n := scriptCalls(t, c) - before; n != 0 {
		t.Errorf("%d script calls; want none", n)
	}
}
