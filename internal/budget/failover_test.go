package budget_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/budget/budgettest"
	"github.com/budgetgw/gateway/internal/testutil"
)

// failoverClient is built the way the gateway builds its own: every wait bounded by the
// timeout, never retried.
func failoverClient(t testing.TB, addr string, timeout time.Duration) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout,
		PoolTimeout: timeout, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// counting wraps a store and counts the admissions it made alone (Decision.Local) and
// from leases (Decision.Leased).
type counting struct {
	budget.Store
	local, leased atomic.Int64
}

func (c *counting) Take(ctx context.Context, spec *budget.Spec, ask budget.Ask) (budget.Decision, error) {
	d, err := c.Store.Take(ctx, spec, ask)
	if err == nil && d.Allowed && d.Local {
		c.local.Add(1)
	}
	if err == nil && d.Allowed && d.Leased {
		c.leased.Add(1)
	}
	return d, err
}

func leasedBy(cs []*counting) (n int64) {
	for _, c := range cs {
		n += c.leased.Load()
	}
	return n
}

// failoverReplicas builds n replicas' stores, replica i on addrs[i % len(addrs)], each with
// its own client and background loop, and counts how often any of them went degraded and
// came back.
func failoverReplicas(t *testing.T, addrs []string, n int) ([]*counting, *atomic.Int32, *atomic.Int32) {
	return failoverReplicasWith(t, addrs, n, 100*time.Millisecond, func(bool) {})
}

// failoverReplicasWith is failoverReplicas with the background loop's Timeout apart from
// the client's and the requests' (100 ms), and a hook told of every change of any
// replica's degraded state.
func failoverReplicasWith(t *testing.T, addrs []string, n int, background time.Duration, hook func(degraded bool)) ([]*counting, *atomic.Int32, *atomic.Int32) {
	var down, up atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var stores []*counting
	for i := range n {
		c := failoverClient(t, addrs[i%len(addrs)], 100*time.Millisecond)
		f := budget.NewFailover(budget.NewRedis(c, budget.RedisOptions{RestoreGrace: 500 * time.Millisecond}), budget.FailoverOptions{
			Replicas: n, Every: 50 * time.Millisecond, Timeout: background, CallTimeout: 100 * time.Millisecond,
			OnDegraded: func(_ string, d bool) {
				if d {
					down.Add(1)
				} else {
					up.Add(1)
				}
				hook(d)
			},
		})
		go f.Run(ctx)
		stores = append(stores, &counting{Store: f})
	}
	return stores, &down, &up
}

func asStores(cs []*counting) []budget.Store {
	out := make([]budget.Store, len(cs))
	for i, c := range cs {
		out[i] = c
	}
	return out
}

// arrivedAfter sums the points of calls that reached the upstream after t.
func arrivedAfter(calls []budgettest.Call, t time.Time) int64 {
	var n int64
	for _, c := range calls {
		if c.Arrived.After(t) {
			n += c.Cost
		}
	}
	return n
}

// runThroughAFault runs the property suite while a fault the caller started plays out,
// checks that the fleet never overspent, noticed the fault and came back, and returns the
// calls.
func runThroughAFault(t *testing.T, stores []*counting, o budgettest.PropertyOptions, down, up *atomic.Int32) []budgettest.Call {
	t.Helper()
	calls := budgettest.RunProperty(t, asStores(stores), o)
	maxPoints, util := budgettest.CheckWindows(calls, o.Capacity, o.Window)
	t.Logf("%d calls, %d from leases, max %d points in a window, utilisation %.3f; degraded %d times, recovered %d",
		len(calls), leasedBy(stores), maxPoints, util, down.Load(), up.Load())
	if maxPoints > o.Capacity {
		t.Fatalf("a window held %d points; capacity is %d\n%s", maxPoints, o.Capacity, budgettest.Worst(calls, o.Window))
	}
	if down.Load() == 0 || up.Load() == 0 {
		t.Fatalf("degraded %d times and recovered %d: want both, the fault went unnoticed or was never left", down.Load(), up.Load())
	}
	return calls
}

func TestFailoverStaysExactWhenRedisIsKilledAndRestartedEmpty(t *testing.T) {
	srv := testutil.StartRedis(t)
	stores, down, up := failoverReplicas(t, []string{srv.Addr()}, 3)
	o := budgettest.PropertyOptions{Capacity: 120, Window: 500 * time.Millisecond, Span: 4 * time.Second, Callers: 60, Gates: 3, Seed: 3}
	restarted := make(chan time.Time, 1)
	go func() {
		time.Sleep(1200 * time.Millisecond)
		srv.Kill()
		time.Sleep(600 * time.Millisecond)
		srv.Restart() // empty: every entry Redis held is gone
		restarted <- time.Now()
	}()
	calls := runThroughAFault(t, stores, o, down, up)
	// Shared mode resumed: calls were admitted after Redis came back (how many is the
	// bench's business, not a test's).
	if n := arrivedAfter(calls, <-restarted); n == 0 {
		t.Fatal("no call was admitted after Redis came back: the budget did not resume")
	}
}

func TestFailoverStaysExactWhenRedisHangs(t *testing.T) {
	srv := testutil.StartRedis(t)
	stores, down, up := failoverReplicas(t, []string{srv.Addr()}, 3)
	o := budgettest.PropertyOptions{Capacity: 120, Window: 500 * time.Millisecond, Span: 3 * time.Second, Callers: 60, Gates: 3, Seed: 5}
	go func() {
		time.Sleep(time.Second)
		srv.Pause() // SIGSTOP: connections hang instead of failing
		time.Sleep(700 * time.Millisecond)
		srv.Resume()
	}()
	runThroughAFault(t, stores, o, down, up)
}

// A Redis that answers, but slower than redis.timeout: requests decide on the local share
// at once, and the replicas stay on it until Redis is fast again, without flapping. The
// background loop has longer than a request for each step (Timeout: a step may take
// several calls), but the client still ends every call at redis.timeout (the gateway
// builds it so), so a probe never closes the breaker onto a Redis that the next request
// would time out on again.
func TestFailoverStaysOnItsShareWhileRedisIsSlow(t *testing.T) {
	srv := testutil.StartRedis(t)
	slow := testutil.StartFaultProxy(t, srv.Addr())
	var mu sync.Mutex
	var slowFrom, slowTo time.Time
	var backWhileSlow int
	stores, down, up := failoverReplicasWith(t, []string{slow.Addr()}, 3, 400*time.Millisecond, func(degraded bool) {
		mu.Lock()
		defer mu.Unlock()
		// A call sent just before the delay began may still be answered in time.
		if !degraded && !slowFrom.IsZero() && time.Since(slowFrom) > 100*time.Millisecond && slowTo.IsZero() {
			backWhileSlow++
		}
	})
	o := budgettest.PropertyOptions{Capacity: 120, Window: 500 * time.Millisecond, Span: 4 * time.Second, Callers: 60, Gates: 3, Seed: 7}
	go func() {
		time.Sleep(time.Second)
		// Each way held 120 ms: a round trip takes at least 240 ms, more than the client's
		// 100 ms and less than the loop's 400.
		slow.Delay(120 * time.Millisecond)
		mu.Lock()
		slowFrom = time.Now()
		mu.Unlock()
		time.Sleep(1500 * time.Millisecond)
		mu.Lock()
		slowTo = time.Now()
		mu.Unlock()
		slow.Heal()
	}()
	runThroughAFault(t, stores, o, down, up)
	mu.Lock()
	defer mu.Unlock()
	if backWhileSlow > 0 {
		t.Fatalf("a replica left its local share %d times while every round trip took longer than redis.timeout: "+
			"a probe waited longer than a request may, and the breaker flapped", backWhileSlow)
	}
}

// One replica of three loses Redis while the other two keep it: the two leave it its
// share once its heartbeat lapses, and it spends that share alone only once everything
// they admitted before noticing is released. The fleet never overspends.
func TestFailoverNeverOverspendsWhenOneReplicaIsCutOff(t *testing.T) {
	srv := testutil.StartRedis(t)
	cut := testutil.StartFaultProxy(t, srv.Addr())
	stores, down, up := failoverReplicas(t, []string{cut.Addr(), srv.Addr(), srv.Addr()}, 3)
	o := budgettest.PropertyOptions{Capacity: 120, Window: 250 * time.Millisecond, Span: 6 * time.Second, Callers: 60, Gates: 3, Seed: 11}
	go func() {
		time.Sleep(time.Second)
		cut.BlackHole() // replica 0 only: its connections hang, the others' are fine
		time.Sleep(4 * time.Second)
		cut.Heal()
	}()
	calls := budgettest.RunProperty(t, asStores(stores), o)
	maxPoints, _ := budgettest.CheckWindows(calls, o.Capacity, o.Window)
	t.Logf("%d calls, max %d points in a window; degraded %d times, recovered %d; the cut-off replica admitted %d alone",
		len(calls), maxPoints, down.Load(), up.Load(), stores[0].local.Load())
	if maxPoints > o.Capacity {
		t.Fatalf("a window held %d points; capacity is %d\n%s", maxPoints, o.Capacity, budgettest.Worst(calls, o.Window))
	}
	if down.Load() == 0 {
		t.Fatal("the cut-off replica never noticed")
	}
	if stores[0].local.Load() == 0 {
		t.Error("the cut-off replica never spent from its share (it may from 2 s after the cut until it heals at 4 s)")
	}
}

func TestFailClosedRefusesWhenRedisIsDown(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := failoverClient(t, srv.Addr(), 100*time.Millisecond)
	f := budget.NewFailover(budget.NewRedis(c, budget.RedisOptions{RestoreGrace: -1}), budget.FailoverOptions{FailClosed: true})
	spec := &budget.Spec{Name: "closed", Capacity: 10, Window: time.Second, Hold: time.Second}
	srv.Kill()
	d, err := budget.NewGate(f, nil).Acquire(context.Background(), spec, budget.Ask{Caller: "a", Cost: 1}, time.Second)
	if err == nil || d.Reason != budget.ReasonStoreUnavailable {
		t.Fatalf("reason %q err %v; want store_unavailable and an error", d.Reason, err)
	}
}

// Settles go to Redis asynchronously; those made just before the replica stops still
// arrive: Run sends what is queued before it returns, and the app closes the client after.
func TestFailoverSettleJustBeforeStopReachesRedis(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := failoverClient(t, srv.Addr(), 20*time.Second)
	f := budget.NewFailover(budget.NewRedis(c, budget.RedisOptions{RestoreGrace: -1}), budget.FailoverOptions{Every: time.Hour, Timeout: 20 * time.Second})
	spec := &budget.Spec{Name: "flush", Capacity: 10, Window: time.Second, Hold: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped })

	bg := context.Background()
	var tickets []budget.Ticket
	admitted := map[string]float64{}
	for range 3 {
		d, err := f.Take(bg, spec, budget.Ask{Caller: "a", Cost: 3})
		if err != nil || !d.Allowed {
			t.Fatalf("take: %+v %v", d, err)
		}
		m := d.Ticket.ID + "|3|a"
		if admitted[m], err = c.ZScore(bg, "gw:{flush}:log", m).Result(); err != nil {
			t.Fatalf("the admission is not in Redis: %v", err)
		}
		tickets = append(tickets, d.Ticket)
	}
	// Redis stalls: the first settle is in flight, the others wait for the next batch,
	// when the replica is told to stop.
	srv.Pause()
	for _, tk := range tickets {
		if err := f.Settle(bg, spec, tk); err != nil {
			srv.Resume()
			t.Fatal(err)
		}
	}
	cancel()
	select {
	case <-stopped:
		srv.Resume()
		t.Fatal("Run returned with settles still on their way")
	case <-time.After(100 * time.Millisecond):
	}
	srv.Resume()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	_ = c.Close() // as the app does once the store's loop has returned
	check := failoverClient(t, srv.Addr(), 20*time.Second)
	for m, before := range admitted {
		settled, err := check.ZScore(bg, "gw:{flush}:log", m).Result()
		if err != nil {
			t.Fatalf("the admission vanished: %v", err)
		}
		// Admitted: released Hold+Window after admission; settled: Window after the answer.
		if before-settled < float64((30 * time.Minute).Microseconds()) {
			t.Errorf("release of %s moved from %.0f to %.0f µs: its settle did not reach Redis before Run returned", m, before, settled)
		}
	}
}

// A budget of many cheap calls leaves a journal far larger than one write-back call
// carries. After an outage every admission, made through Redis before it or alone during
// it, is counted in Redis again: when Redis only hung (the write-back sends what was
// admitted alone) and when it restarted empty (it sends everything).
func TestFailoverWritesBackAJournalOfManyChunks(t *testing.T) {
	for _, tc := range []struct {
		name         string
		stop, resume func(*testutil.RedisServer)
	}{
		{"hung", (*testutil.RedisServer).Pause, (*testutil.RedisServer).Resume},
		{"restarted empty", (*testutil.RedisServer).Kill, (*testutil.RedisServer).Restart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.StartRedis(t)
			c := failoverClient(t, srv.Addr(), 2*time.Second)
			back := make(chan struct{}, 1)
			f := budget.NewFailover(budget.NewRedis(c, budget.RedisOptions{RestoreGrace: -1}), budget.FailoverOptions{
				Every: 20 * time.Millisecond, Timeout: 5 * time.Second, CallTimeout: 300 * time.Millisecond,
				LeaseLife: -1, // every admission its own entry, so each can be looked for in Redis
				OnDegraded: func(_ string, d bool) {
					if !d {
						select { // never block the store's loop, however often it comes back
						case back <- struct{}{}:
						default:
						}
					}
				},
			})
			spec := &budget.Spec{Name: "many", Capacity: 1_000_000, Window: time.Hour, Hold: time.Hour}
			f.Watch(spec)
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() { defer close(stopped); f.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-stopped })

			var members []string
			take := func(n int, local bool) {
				t.Helper()
				for len(members) < n {
					d, err := f.Take(context.Background(), spec, budget.Ask{Caller: "a", Cost: 1})
					if err != nil {
						t.Fatal(err)
					}
					if d.Allowed && d.Local == local {
						members = append(members, d.Ticket.ID+"|1|a")
					}
				}
			}
			take(1500, false)
			tc.stop(srv)
			take(3000, true) // the first one waits out CallTimeout, then all go alone
			tc.resume(srv)
			select {
			case <-back:
			case <-time.After(30 * time.Second):
				t.Fatal("the store never came back after Redis did")
			}
			check := failoverClient(t, srv.Addr(), 5*time.Second)
			missing := 0
			for _, m := range members {
				if err := check.ZScore(context.Background(), "gw:{many}:log", m).Err(); err != nil {
					missing++
				}
			}
			if missing > 0 {
				t.Fatalf("%d of %d admissions are not counted in Redis after the write-back", missing, len(members))
			}
		})
	}
}

// A process too busy to read answers in time (Lag above a quarter of CallTimeout) does
// not blame Redis for a timeout: the breaker stays shut and the ask is refused for a
// moment, never decided alone. Once the process has CPU again, the same timeout opens it.
func TestFailoverStarvedProcessDoesNotOpenTheBreaker(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := failoverClient(t, srv.Addr(), 100*time.Millisecond)
	var lag atomic.Int64
	lag.Store(int64(time.Second))
	var degraded atomic.Bool
	f := budget.NewFailover(budget.NewRedis(c, budget.RedisOptions{RestoreGrace: -1}), budget.FailoverOptions{
		CallTimeout: 100 * time.Millisecond,
		Lag:         func() time.Duration { return time.Duration(lag.Load()) },
		OnDegraded:  func(_ string, d bool) { degraded.Store(d) },
	})
	spec := &budget.Spec{Name: "starved", Capacity: 10, Window: time.Second, Hold: time.Second}
	if _, err := f.Usage(context.Background(), spec); err != nil { // a sync: alone, it knows what is counted
		t.Fatal(err)
	}
	srv.Pause()
	defer srv.Resume()
	d, err := f.Take(context.Background(), spec, budget.Ask{Caller: "a", Cost: 1})
	if err != nil || d.Allowed || d.Reason != budget.ReasonExhausted || degraded.Load() {
		t.Fatalf("starved: %+v %v, degraded %v; want a refusal for a moment and the breaker shut", d, err, degraded.Load())
	}
	lag.Store(0)
	d, err = f.Take(context.Background(), spec, budget.Ask{Caller: "a", Cost: 1})
	if err != nil || !d.Allowed || !d.Local || !degraded.Load() {
		t.Fatalf("not starved: %+v %v, degraded %v; want the breaker open and the ask decided alone", d, err, degraded.Load())
	}
}

// Redis loses its data between two calls (a restart faster than any timeout): the next
// take sees another epoch and writes back everything the replica admitted, not only what
// it admitted alone.
func TestFailoverWritesBackEverythingWhenATakeSeesDataLoss(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := failoverClient(t, srv.Addr(), 2*time.Second)
	f := budget.NewFailover(budget.NewRedis(c, budget.RedisOptions{RestoreGrace: 200 * time.Millisecond}), budget.FailoverOptions{
		Every: time.Hour, Timeout: 5 * time.Second, CallTimeout: 2 * time.Second,
		LeaseLife: -1}) // every admission its own entry, so each can be looked for in Redis
	spec := &budget.Spec{Name: "lost", Capacity: 100, Window: time.Hour, Hold: time.Hour}
	bg := context.Background()
	var members []string
	for len(members) < 5 {
		d, err := f.Take(bg, spec, budget.Ask{Caller: "a", Cost: 1})
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			members = append(members, d.Ticket.ID+"|1|a")
		}
	}
	if err := c.FlushAll(bg).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Take(bg, spec, budget.Ask{Caller: "a", Cost: 1}); err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if err := c.ZScore(bg, "gw:{lost}:log", m).Err(); err != nil {
			t.Fatalf("%s is not counted in Redis after the take saw the data loss: %v", m, err)
		}
	}
}
