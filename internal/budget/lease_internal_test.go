package budget

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/testutil"
)

// These tests run a replica and Redis on one injected clock and drive the background loop
// by hand (tick), so a lease's life and close are checked at exact instants.

// fakeClock is budgettest.Clock's twin: this package's own tests cannot import budgettest
// (it imports budget).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type leaseRig struct {
	t     *testing.T
	srv   *testutil.RedisServer
	c     *redis.Client
	f     *Failover
	clock *fakeClock
	spec  *Spec
}

func newLeaseRig(t *testing.T, spec *Spec) *leaseRig {
	srv := testutil.StartRedis(t)
	return newLeaseRigAt(t, spec, srv, srv.Addr())
}

// newLeaseRigAt is newLeaseRig with the replica's client on addr (a fault proxy in front
// of srv, say).
func newLeaseRigAt(t *testing.T, spec *Spec, srv *testutil.RedisServer, addr string) *leaseRig {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	clock := &fakeClock{t: time.Unix(1_900_000_000, 0)}
	f := NewFailover(NewRedis(c, RedisOptions{Now: clock.Now, RestoreGrace: -1}), FailoverOptions{Now: clock.Now})
	f.Watch(spec)
	return &leaseRig{t: t, srv: srv, c: c, f: f, clock: clock, spec: spec}
}

func (r *leaseRig) take(caller string, cost int64) Decision {
	r.t.Helper()
	d, err := r.f.Take(context.Background(), r.spec, Ask{Caller: caller, Cost: cost})
	if err != nil || !d.Allowed {
		r.t.Fatalf("take: %+v %v", d, err)
	}
	return d
}

// wantLockedOut asserts that a call of caller "a" is now refused for the lockout, after
// what happened (for the failure message).
func (r *leaseRig) wantLockedOut(after string) {
	r.t.Helper()
	d, err := r.f.Take(context.Background(), r.spec, Ask{Caller: "a", Cost: 1})
	if err != nil || d.Allowed || d.Reason != ReasonLockout {
		r.t.Fatalf("take after %s: %+v %v; want refused, lockout", after, d, err)
	}
}

func (r *leaseRig) usage() Usage {
	r.t.Helper()
	u, _, err := r.f.redis.usage(context.Background(), r.spec, heartbeat{})
	if err != nil {
		r.t.Fatal(err)
	}
	return u.Usage
}

// A busy replica leases points with one Redis call, then admits and settles
// calls from the lease without any Redis call; the close leaves Redis counting exactly
// what was spent, each part until Window after its answer (to a 64th of the window).
func TestLeaseAdmitsAndSettlesWithoutARedisCallAndTheCloseFreesTheRest(t *testing.T) {
	spec := &Spec{Name: "lease", Capacity: 10_000, Window: 16 * time.Second, Hold: 8 * time.Second}
	r := newLeaseRig(t, spec)
	life := r.f.leaseLife(spec) // 1s
	var tickets []Ticket
	// Four one-point calls go to Redis one by one; the fifth asks for a lease of twice
	// what was admitted in this life (8 points), waits for it and is admitted from it.
	for i := range 5 {
		d := r.take("a", 1)
		if d.Leased != (i == 4) {
			t.Fatalf("call %d: leased %v", i, d.Leased)
		}
		tickets = append(tickets, d.Ticket)
	}
	if u := r.usage(); u.ByCaller[LeaseCaller] != 8 || u.ByCaller["a"] != 4 {
		t.Fatalf("Redis counts %v; want a lease of 8 and a's 4", u.ByCaller)
	}
	before := scriptCalls(t, r.c)
	for range 7 {
		d := r.take("b", 1)
		if !d.Leased {
			t.Fatalf("a call within the lease went to Redis: %+v", d)
		}
		tickets = append(tickets, d.Ticket)
	}
	// With three quarters of it spent, the next lease was asked for in the background.
	waitFor(t, func() bool { r.f.mu.Lock(); defer r.f.mu.Unlock(); return r.f.st[spec.Name].leaseAsk == nil })
	d := r.take("a", 1)
	if !d.Leased {
		t.Fatalf("the call after the first lease was spent: %+v; want it admitted from the next lease", d)
	}
	tickets = append(tickets, d.Ticket)
	for _, tk := range tickets[4:] {
		if err := r.f.Settle(context.Background(), spec, tk); err != nil {
			t.Fatal(err)
		}
	}
	r.f.Flush()
	if n := scriptCalls(t, r.c) - before; n != 1 {
		t.Fatalf("8 leased admissions and 9 answers made %d Redis calls; want 1 (the next lease)", n)
	}

	// Past the life, the background loop closes both leases: Redis then counts the points
	// really spent, under their callers, and the unspent ones come back.
	r.clock.Advance(life)
	r.f.tick(context.Background())
	u := r.usage()
	if u.ByCaller[LeaseCaller] != 0 || u.ByCaller["a"] != 6 || u.ByCaller["b"] != 7 || u.Used != 13 {
		t.Fatalf("after the close Redis counts %v (used %d); want a 6, b 7, no lease", u.ByCaller, u.Used)
	}
	r.f.mu.Lock()
	open, closing := r.f.st[spec.Name].lease, len(r.f.st[spec.Name].closing)
	r.f.mu.Unlock()
	if open != nil || closing != 0 {
		t.Fatalf("leases left after the close: open %v, closing %d", open != nil, closing)
	}
	// The answered calls are released Window after their answers (rounded up to a 64th
	// of the window); the four first calls, never answered, stay until Hold+Window.
	r.clock.Advance(spec.Window - life + spec.Window/64)
	if u := r.usage(); u.Used != 4 || u.ByCaller["a"] != 4 {
		t.Fatalf("a window after the answers Redis counts %v (used %d); want only the 4 unanswered", u.ByCaller, u.Used)
	}
}

// An upstream lockout ends the lease at once: the next call asks Redis, which refuses it.
func TestLeaseEndsWhenTheUpstreamLocksOut(t *testing.T) {
	spec := &Spec{Name: "lease-lock", Capacity: 10_000, Window: 16 * time.Second, Hold: 8 * time.Second}
	r := newLeaseRig(t, spec)
	for range 5 {
		r.take("a", 1)
	}
	if d := r.take("a", 1); !d.Leased {
		t.Fatalf("no lease: %+v", d)
	}
	if err := r.f.Lock(context.Background(), spec, time.Minute); err != nil {
		t.Fatal(err)
	}
	r.wantLockedOut("the lockout")
}

// A lockout made on another replica ends this replica's lease as soon as it is announced,
// not at its next sync: the background loop never ticks here, so only the announcement
// can end it.
func TestLeaseEndsWhenAnotherReplicaLocksOut(t *testing.T) {
	spec := &Spec{Name: "lease-lock-elsewhere", Capacity: 10_000, Window: 16 * time.Second, Hold: 8 * time.Second}
	r := newLeaseRig(t, spec)
	leased := false
	for range 10 {
		if leased = r.take("a", 1).Leased; leased {
			break
		}
	}
	if !leased {
		t.Fatal("no call was admitted from a lease")
	}
	ctx, cancel := context.WithCancel(context.Background())
	following := make(chan struct{})
	go func() { defer close(following); r.f.followLocks(ctx) }()
	t.Cleanup(func() { cancel(); <-following })
	channel := r.f.redis.lockChannel()
	waitFor(t, func() bool { // an announcement made before the subscription would be missed
		n, err := r.c.PubSubNumSub(context.Background(), channel).Result()
		return err == nil && n[channel] > 0
	})

	c := redis.NewClient(&redis.Options{Addr: r.srv.Addr(), MaxRetries: -1, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	other := NewFailover(NewRedis(c, RedisOptions{Now: r.clock.Now, RestoreGrace: -1}), FailoverOptions{Now: r.clock.Now})
	if err := other.Lock(context.Background(), spec, time.Minute); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { r.f.mu.Lock(); defer r.f.mu.Unlock(); return r.f.st[spec.Name].lease == nil })
	r.wantLockedOut("the other replica's lockout")
}

// A lease asked for before a lockout was made or heard of may have been granted before the
// lock was set in Redis: when its grant arrives after the lockout, nothing is admitted from
// it. One asked for after the lockout is kept (Redis, which holds the lock, granted it).
func TestLeaseAskedForBeforeALockoutIsEndedWhenGranted(t *testing.T) {
	spec := &Spec{Name: "lease-grant-after-lock", Capacity: 10_000, Window: 16 * time.Second, Hold: 8 * time.Second}
	r := newLeaseRig(t, spec)
	r.take("a", 1) // the budget's state exists, as it does for any budget a lease is asked for
	sent := r.clock.Now()
	r.clock.Advance(time.Millisecond)
	r.f.heardLock(spec.Name)
	r.clock.Advance(time.Millisecond)
	ask := Ask{Caller: LeaseCaller, lease: 8, leaseLife: time.Second}
	r.f.mu.Lock()
	s := r.f.st[spec.Name]
	r.f.granted(s, ask, Decision{Allowed: true, Ticket: Ticket{ID: "before"}}, sent, r.clock.Now())
	ended := s.lease == nil && len(s.closing) == 1
	r.f.granted(s, ask, Decision{Allowed: true, Ticket: Ticket{ID: "after"}}, r.clock.Now(), r.clock.Now())
	kept := s.lease != nil && s.lease.t.ID == "after"
	r.f.mu.Unlock()
	if !ended {
		t.Error("a lease asked for before the lockout stayed open when granted after it")
	}
	if !kept {
		t.Error("a lease asked for after the lockout was not kept")
	}
}

// Redis restarts empty while a lease is open: the lease's entry is journalled, so the
// write-back counts its points again, and calls admitted from it stay covered.
func TestLeaseIsWrittenBackWhenRedisLosesItsData(t *testing.T) {
	spec := &Spec{Name: "lease-lost", Capacity: 10_000, Window: 16 * time.Second, Hold: 8 * time.Second}
	r := newLeaseRig(t, spec)
	for range 5 {
		r.take("a", 1)
	}
	if got := r.usage().ByCaller[LeaseCaller]; got != 8 {
		t.Fatalf("Redis counts %d leased points; want 8", got)
	}
	r.srv.Kill()
	r.srv.Restart()
	r.f.tick(context.Background()) // the sync finds the budget gone and writes back
	u := r.usage()
	if u.ByCaller[LeaseCaller] != 8 || u.ByCaller["a"] != 4 {
		t.Fatalf("after the write-back Redis counts %v; want the lease's 8 and a's 4", u.ByCaller)
	}
	if d := r.take("b", 1); !d.Leased {
		t.Fatalf("the lease stopped: %+v", d)
	}
}

// The take script grants a lease only while nobody waits and half of what normal asks may
// use stays free; otherwise it decides the ordinary ask the lease ask carries.
func TestTakeScriptGrantsLeasesOnlyWhileTheBudgetIsFarFromBinding(t *testing.T) {
	r, _ := batchRedis(t)
	spec := &Spec{Name: "lease-script", Capacity: 100, Reserve: 20, Window: time.Minute, Hold: time.Second}
	ctx := context.Background()
	take := func(ask Ask) Decision {
		t.Helper()
		ds, _, err := r.takeMany(ctx, spec, []Ask{ask}, []Ticket{{ID: newID(), Caller: ask.Caller, Cost: ask.Cost}}, heartbeat{})
		if err != nil {
			t.Fatal(err)
		}
		return ds[0]
	}
	lease := func(points int64) Ask { return Ask{Caller: "a", Cost: 2, lease: points, leaseLife: time.Second} }
	if d := take(lease(41)); !d.Allowed || d.leaseGranted {
		t.Fatalf("a lease of 41 of the 80 normal asks may use: %+v; want admitted as an ordinary ask", d)
	}
	if d := take(lease(38)); !d.Allowed || !d.leaseGranted || d.Used != 40 {
		t.Fatalf("a lease of 38 with 2 used: %+v; want granted, 40 used", d)
	}
	if d := take(lease(2)); !d.Allowed || d.leaseGranted {
		t.Fatalf("a lease past half: %+v; want an ordinary admission", d)
	}
	// Somebody waits: no lease however small. The refusal says to ask again within a
	// lease's life, not a window: what the lease holds unspent comes back at its close.
	d := take(Ask{Caller: "w", Cost: 60, Waiter: &Waiter{ID: "w1", Patience: time.Minute}, leaseLife: time.Second})
	if d.Allowed || d.Waiter == "" || d.RetryAfter != time.Second {
		t.Fatalf("the big ask: %+v; want refused, queued, retry in 1s", d)
	}
	if d := take(lease(2)); d.leaseGranted {
		t.Fatalf("a lease while somebody waits: %+v", d)
	}
	// A lease asked for ahead of time carries no call: refused, it writes nothing.
	if d := take(Ask{Caller: LeaseCaller, lease: 2, leaseLife: time.Second}); d.Allowed || d.Used != 42 {
		t.Fatalf("a lease of its own while somebody waits: %+v; want refused, still 42 used", d)
	}
}

// A replica that stops while connected closes its leases: what they hold unspent comes
// back at once, not a life later.
func TestLeaseIsClosedWhenTheReplicaStops(t *testing.T) {
	spec := &Spec{Name: "lease-stop", Capacity: 10_000, Window: 16 * time.Second, Hold: 8 * time.Second}
	r := newLeaseRig(t, spec)
	var last Decision
	for range 5 {
		last = r.take("a", 1)
	}
	if !last.Leased || r.usage().ByCaller[LeaseCaller] != 8 {
		t.Fatalf("no lease of 8: %+v, %v", last, r.usage().ByCaller)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.f.Run(ctx) // stops at once: flush, close the leases, say goodbye
	if u := r.usage(); u.ByCaller[LeaseCaller] != 0 || u.Used != 5 {
		t.Fatalf("after the replica stopped Redis counts %v (used %d); want a's 5 and no lease", u.ByCaller, u.Used)
	}
}

// A lease asked for just before the replica stops is granted after the stop began: the
// stop waits for that answer and closes the new lease too, instead of leaving its points
// counted until it expires.
func TestLeaseGrantedWhileTheReplicaStopsIsClosed(t *testing.T) {
	spec := &Spec{Name: "lease-stop-renewing", Capacity: 10_000, Window: 16 * time.Second, Hold: 8 * time.Second}
	srv := testutil.StartRedis(t)
	slow := testutil.StartFaultProxy(t, srv.Addr())
	r := newLeaseRigAt(t, spec, srv, slow.Addr())
	for range 5 {
		r.take("a", 1)
	}
	r.f.mu.Lock()
	s := r.f.st[spec.Name]
	if s.lease == nil || s.leaseAsk != nil {
		r.f.mu.Unlock()
		t.Fatalf("want an open lease and no lease ask in flight; lease %v, asking %v", s.lease != nil, s.leaseAsk != nil)
	}
	asked := make(chan struct{})
	s.leaseAsk = asked // as takeLeased does when the open lease runs low
	r.f.mu.Unlock()
	// The ask's bytes are held 300 ms on their way to Redis; the stop's calls, sent once
	// the delay is lifted, on other connections, are not.
	slow.Delay(300 * time.Millisecond)
	go r.f.renew(s, spec, 16, time.Second)
	time.Sleep(50 * time.Millisecond)
	slow.Delay(0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.f.Run(ctx) // stops at once: flush, close the leases, say goodbye
	<-asked      // the ask was answered (before the stop ended, or after it, without the wait)
	if u := r.usage(); u.ByCaller[LeaseCaller] != 0 || u.Used != 5 {
		t.Fatalf("after the replica stopped Redis counts %v (used %d); want a's 5 and no lease", u.ByCaller, u.Used)
	}
}
