package budget_test

import (
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/budget/budgettest"
)

func TestMemoryContract(t *testing.T) {
	budgettest.Run(t, func(t *testing.T, clock func() time.Time) budget.Store {
		return budget.NewMemory(clock)
	})
}

func TestMemoryNeverOverspendsUnderConcurrency(t *testing.T) {
	o := budgettest.PropertyOptions{Capacity: 300, Window: 500 * time.Millisecond, Span: 2 * time.Second, Callers: 200, Gates: 1, Seed: 1}
	calls := budgettest.RunProperty(t, []budget.Store{budget.NewMemory(nil)}, o)
	maxPoints, util := budgettest.CheckWindows(calls, o.Capacity, o.Window)
	// Utilisation is measured by the bench harness (fidelity), not asserted: on a loaded
	// machine a wall-clock floor fails for reasons other than behaviour.
	t.Logf("%d calls, max %d points in a window, utilisation %.3f", len(calls), maxPoints, util)
	if maxPoints > o.Capacity {
		t.Fatalf("a window held %d points; capacity is %d\n%s", maxPoints, o.Capacity, budgettest.Worst(calls, o.Window))
	}
}
