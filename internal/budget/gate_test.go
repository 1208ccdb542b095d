package budget_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
)

// A closed stop releases a waiter at once, and refuses an ask that arrives after it, even
// one that would fit: the process is draining and the caller retries elsewhere.
func TestAcquireOrStopReleasesWaitersWhenStopCloses(t *testing.T) {
	g := budget.NewGate(budget.NewMemory(nil), nil)
	spec := &budget.Spec{Name: "stop", Capacity: 4, Window: time.Minute, Hold: time.Minute}
	bg := context.Background()
	if d, err := g.Acquire(bg, spec, budget.Ask{Caller: "a", Cost: 4}, 0); err != nil || !d.Allowed {
		t.Fatalf("first ask: %+v %v", d, err)
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := g.AcquireOrStop(bg, stop, spec, budget.Ask{Caller: "b", Cost: 2}, time.Hour)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the waiter returned before stop closed: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(stop)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("waiter released with %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("closing stop did not release the waiter")
	}

	room := &budget.Spec{Name: "room", Capacity: 10, Window: time.Minute, Hold: time.Minute}
	d, err := g.AcquireOrStop(bg, stop, room, budget.Ask{Caller: "c", Cost: 1}, time.Hour)
	if d.Allowed || !errors.Is(err, context.Canceled) {
		t.Fatalf("after stop: %+v %v; want refused with context.Canceled", d, err)
	}
}
