package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/budgetgw/gateway/internal/budget"
)

// BudgetSource lists the budgets to report and the store that holds them.
type BudgetSource interface {
	// Budgets returns upstream name -> spec for every upstream in service now.
	Budgets() map[string]*budget.Spec
	Store() budget.Store
}

// budgetCollector reads each budget from the store at scrape time, so every replica
// reports the shared state (not its own view) and nothing goes stale between scrapes.
type budgetCollector struct {
	src                              BudgetSource
	used, capacity, lockout, waiting *prometheus.Desc
}

// RegisterBudgets adds the budget gauges for src to reg.
func RegisterBudgets(reg prometheus.Registerer, src BudgetSource) error {
	labels := []string{"upstream", "budget"}
	return reg.Register(&budgetCollector{
		src:      src,
		used:     prometheus.NewDesc("gateway_budget_points_used", "Points counted in the budget now (shared across replicas).", labels, nil),
		capacity: prometheus.NewDesc("gateway_budget_points_capacity", "Points the budget allows per window.", labels, nil),
		lockout:  prometheus.NewDesc("gateway_lockout_active", "1 while the upstream has locked the organisation out (after a 429).", labels, nil),
		waiting:  prometheus.NewDesc("gateway_budget_waiters", "Requests waiting for points, across replicas.", labels, nil),
	})
}

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.used
	ch <- c.capacity
	ch <- c.lockout
	ch <- c.waiting
}

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	store := c.src.Store()
	for upstream, spec := range c.src.Budgets() {
		ch <- prometheus.MustNewConstMetric(c.capacity, prometheus.GaugeValue, float64(spec.Capacity), upstream, spec.Name)
		u, err := store.Usage(ctx, spec)
		if err != nil {
			continue // the store error is counted where it happened; absent beats wrong
		}
		locked := 0.0
		if u.LockedFor > 0 {
			locked = 1
		}
		ch <- prometheus.MustNewConstMetric(c.used, prometheus.GaugeValue, float64(u.Used), upstream, spec.Name)
		ch <- prometheus.MustNewConstMetric(c.lockout, prometheus.GaugeValue, locked, upstream, spec.Name)
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(u.Waiters), upstream, spec.Name)
	}
}
