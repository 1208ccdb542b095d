package proxy

import (
	"sync"
	"sync/atomic"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/metrics"
	"github.com/budgetgw/gateway/internal/routes"
)

// maxSeries bounds a snapshot's cache of metric children. The keys are configured
// upstreams, routes and callers, so a configuration rarely comes near it; past it, a
// request resolves its children the slow way rather than grow the cache.
const maxSeries = 10000

// seriesCache keeps the metric children of each (upstream, route, caller) a snapshot has
// served. It belongs to one snapshot: a reload or a new keyring starts a fresh one, so
// entries for routes and callers no longer in force are dropped with the snapshot.
type seriesCache struct {
	m    sync.Map // seriesKey -> *metrics.Call
	size atomic.Int64
}

// seriesKey is by identity: the pointers are the snapshot's own, and hashing three
// pointers is cheaper than hashing the label values.
type seriesKey struct {
	up     *upstream
	route  *routes.Route
	caller *auth.Caller
}

// series returns the metric children for x's upstream, route family and caller as far as
// the request got (the rest "none").
// The exchange keeps the last answer, so the steps after routing share one lookup.
func (g *Gateway) series(x *exchange) *metrics.Call {
	k := seriesKey{x.up, x.route, x.caller}
	if x.calls != nil && x.callsKey == k {
		return x.calls
	}
	x.calls, x.callsKey = g.lookupSeries(x, k), k
	return x.calls
}

func (g *Gateway) lookupSeries(x *exchange, k seriesKey) *metrics.Call {
	c := x.snap.series
	if v, ok := c.m.Load(k); ok {
		return v.(*metrics.Call)
	}
	call := g.metrics.Call(x.upstreamName(), x.family(), x.callerName())
	if c.size.Load() >= maxSeries {
		return call
	}
	if v, loaded := c.m.LoadOrStore(k, call); loaded {
		return v.(*metrics.Call)
	}
	c.size.Add(1)
	return call
}
