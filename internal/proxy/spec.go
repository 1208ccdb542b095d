package proxy

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/openapi"
)

// serveSpec answers {mount}/api/v2/spec with the upstream's OpenAPI document as this
// caller may use it: only the operations its key and the org token may call, with servers
// pointing at the gateway. It is free (no scope needed, no points), like reading the docs.
func (g *Gateway) serveSpec(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		if sp := g.specs.Get(x.up.name); sp != nil {
			if canonical, err := x.canonicalPath(r); err == nil && openapi.IsSpecRequest(r.Method, canonical) {
				x.outcome = "spec"
				sp.Serve(w, r, x.caller.Scopes)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// syncSpecs makes the set of documents match the configuration: new upstreams get one,
// changed ones re-decide what they serve, removed ones stop.
func (g *Gateway) syncSpecs(c *config.Config, snap *snapshot) error {
	var want []openapi.Options
	var index []int // want's entries' places in c.Upstreams
	for i, uc := range c.Upstreams {
		if uc.Spec.Enabled == nil || !*uc.Spec.Enabled {
			continue
		}
		u := snap.upstreamNamed(uc.Name)
		want = append(want, openapi.Options{
			Upstream: uc.Name, Fetch: g.specFetch(u, uc.Spec.Cost), Refresh: uc.Spec.Refresh,
			Routing: openapi.Routing{Table: u.table, TokenScopes: u.tokenScopes, Mount: uc.Mount, PublicURL: uc.PublicURL},
			Logger:  g.log, Now: g.now, Unknown: g.metrics.UnknownOperations.WithLabelValues(uc.Name),
		})
		index = append(index, i)
	}
	if failed, err := g.specs.Sync(want); err != nil {
		return fmt.Errorf("upstreams[%d].spec: %w", index[failed], err)
	}
	return nil
}

// Run does the gateway's background work (fetching documents) until ctx ends, and
// returns when all of it has stopped.
func (g *Gateway) Run(ctx context.Context) { g.specs.Run(ctx) }

// specFetch fetches the document with the org token; with a cost, the points are taken
// from the budget first (a refusal keeps the document already held).
func (g *Gateway) specFetch(u *upstream, cost int64) func(context.Context) ([]byte, error) {
	fetch := openapi.HTTPFetch(&http.Client{Transport: g.transport, Timeout: u.timeout}, u.base.String()+openapi.BasePath+"/spec", func(r *http.Request) {
		if u.bearer {
			r.Header.Set("Authorization", "Bearer "+u.token.Reveal())
		} else {
			r.Header.Set(u.header, u.token.Reveal())
		}
	})
	fetch = g.scrubbedFetch(u, recovered(fetch))
	if cost <= 0 {
		return fetch
	}
	return func(ctx context.Context) ([]byte, error) {
		d, err := g.gate.Acquire(ctx, u.spec, budget.Ask{Caller: "_spec", Cost: cost}, time.Minute)
		if err != nil || !d.Allowed {
			return nil, fmt.Errorf("no points for the document (%s): %w", d.Reason, err)
		}
		defer func() { _ = g.gate.Settle(u.spec, d.Ticket) }()
		return fetch(ctx)
	}
}

// recovered turns a panic below a background fetch (a transport bug) into an error: no
// request is there to answer with a 500, and the process must go on serving.
func recovered(fetch func(context.Context) ([]byte, error)) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) (b []byte, err error) {
		defer func() {
			if v := recover(); v != nil {
				b, err = nil, fmt.Errorf("fetch OpenAPI document: panic: %v", v)
			}
		}()
		return fetch(ctx)
	}
}

// scrubbedFetch masks the token in a document the gateway fetched with it (the OpenAPI
// document is served to callers).
func (g *Gateway) scrubbedFetch(u *upstream, fetch func(context.Context) ([]byte, error)) func(context.Context) ([]byte, error) {
	if u.scrubber == nil {
		return fetch
	}
	return func(ctx context.Context) ([]byte, error) {
		b, err := fetch(ctx)
		if masked, found := u.scrubber.Bytes(b); found {
			b = masked
			g.metrics.OrgTokenScrubbed.WithLabelValues(u.name, "document").Inc()
			g.log.Warn("the upstream's OpenAPI document carried the org token; masked before serving it", zap.String("upstream", u.name))
		}
		return b, err
	}
}

func (s *snapshot) upstreamNamed(name string) *upstream {
	for _, u := range s.upstreams {
		if u.name == name {
			return u
		}
	}
	return nil
}
