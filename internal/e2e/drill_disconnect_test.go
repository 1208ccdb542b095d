package e2e

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox"
)

// TestDrillClientsThatLeaveWhileWaitingSpendNothing fills the budget, lines up waiters,
// and has every one of them hang up. They must leave the line at once (the line is shared
// by replicas: a ghost would hold points aside for everyone) and never reach the upstream,
// even once points come back.
func TestDrillClientsThatLeaveWhileWaitingSpendNothing(t *testing.T) {
	for _, store := range []string{"memory", "redis"} {
		t.Run(store, func(t *testing.T) {
			const (
				capacity = 20
				window   = 2 * time.Second
				fill     = capacity / 2 // 2-point calls that spend the whole budget
			)
			sb, base := drillSandbox(t, sandbox.Options{Capacity: capacity, Window: window, Lockout: window})
			o := drillOptions{upstream: base, capacity: capacity, window: window, maxWait: 10 * time.Second}
			if store == "redis" {
				o.redisURL = startRedis(t).URL()
			}
			g := startDrillGateway(t, o)
			client := drillClient(t, 32)
			for i := range fill { // a new Redis budget makes the first one wait a moment
				if r := drillSend(client, g.request(context.Background(), http.MethodGet, "/api/v2/users")); r.status != http.StatusOK {
					t.Fatalf("filling call %d: status %d, err %v", i, r.status, r.err)
				}
			}

			// Ten waiters (the line holds as many as the points it knows will come back),
			// each with its own client context; they hang up together.
			ctx, hangUp := context.WithCancel(context.Background())
			defer hangUp()
			const waiters = 10
			left := make(chan drillResult, waiters)
			for range waiters {
				go func() { left <- drillSend(client, g.request(ctx, http.MethodGet, "/api/v2/users")) }()
			}
			settleUntil(t, "every waiter in the line", 10*time.Second, func() bool {
				return g.Metric(t, "gateway_budget_waiters") == waiters
			})
			hangUp()
			for range waiters {
				if r := <-left; !errors.Is(r.err, context.Canceled) {
					t.Errorf("a waiter that hung up got status %d, err %v", r.status, r.err)
				}
			}
			settleUntil(t, "the line empty", 2*time.Second, func() bool {
				return g.Metric(t, "gateway_budget_waiters") == 0
			})
			settleUntil(t, "the points back (a window after the answers)", 3*window, func() bool {
				return g.Metric(t, "gateway_budget_points_used") == 0
			})

			// Nothing was spent for them, and nobody waits behind their ghosts.
			if n := len(charged(sb)); n != fill {
				t.Errorf("the upstream charged %d calls; want the %d filling calls only", n, fill)
			}
			if p := g.Metric(t, "gateway_budget_points_admitted_total", "caller", "drill"); p != 2*fill {
				t.Errorf("gateway_budget_points_admitted_total = %v; want %d", p, 2*fill)
			}
			r := drillSend(client, g.request(context.Background(), http.MethodGet, "/api/v2/users"))
			if r.status != http.StatusOK || r.elapsed > time.Second {
				t.Errorf("the next call: status %d after %s; want 200 at once", r.status, r.elapsed)
			}
			if n := len(charged(sb)); n != fill+1 {
				t.Errorf("the upstream charged %d calls; want %d", n, fill+1)
			}
		})
	}
}

// charged returns the calls the upstream charged.
func charged(sb *sandbox.Server) []sandbox.Arrival {
	var out []sandbox.Arrival
	for _, a := range sb.Arrivals() {
		if a.Cost > 0 {
			out = append(out, a)
		}
	}
	return out
}
