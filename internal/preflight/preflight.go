package preflight

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/budgetgw/gateway/internal/config"
)

// Options say how the checks reach the network. The zero value checks for real, the way
// the gateway itself connects.
type Options struct {
	// Timeout bounds each step. Default 10s.
	Timeout time.Duration
	// Resolver looks up host names, for the DNS step and every dial after it.
	// Default net.DefaultResolver.
	Resolver Resolver
	// RootCAs verifies upstream certificates. Nil: the system's roots, as the gateway uses.
	RootCAs *x509.CertPool
	// Proxy chooses an HTTP proxy per request. Default http.ProxyFromEnvironment, as the
	// gateway's transport does, so the check goes the way real calls go.
	Proxy func(*http.Request) (*url.URL, error)
	// SkipTokenCall plans the token step as skipped: nothing is spent upstream.
	SkipTokenCall bool
	// Now is the clock the reported durations are read from. Default time.Now.
	Now func() time.Time
}

// Resolver is the part of *net.Resolver the checks use.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Proxy == nil {
		o.Proxy = http.ProxyFromEnvironment
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Target is one dependency, checked step by step. A step runs only if every step before
// it in the same target passed: after a failed lookup, "connection refused" is noise.
type Target struct {
	Name  string // "upstream retool", "redis"
	About string // what is checked: base URL and profile, or the Redis address without credentials
	Steps []Step
}

// Step is one check.
type Step struct {
	Name string // dns, connect, tls, token, ping
	// Plan says what the step will do; observers show it before the step runs, so an
	// operator reads what a paid call costs before it is made.
	Plan string
	// Spends is the points the step takes from the upstream's budget, outside the
	// gateway's own count of it.
	Spends int64
	// Skip, when set, says why the step will not run. A skipped step is not a failure.
	Skip string

	run func(ctx context.Context) (detail string, err error)
}

// Result is what one step found.
type Result struct {
	Target, Step string
	Detail       string // what was found, or why the step did not run
	Err          error  // nil: the step passed or was skipped
	Skipped      bool
	Elapsed      time.Duration
}

// String is the one line that names a failure: "upstream retool: token: ...".
func (r Result) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: %s: %v", r.Target, r.Step, r.Err)
	}
	return fmt.Sprintf("%s: %s: %s", r.Target, r.Step, r.Detail)
}

// Observer hears about each target and step as the check goes.
type Observer interface {
	Target(t *Target)
	Step(t *Target, s *Step)           // just before s runs; not called for skipped steps
	Done(t *Target, s *Step, r Result) // after s ran or was skipped
}

// Report is every step's result, in order.
type Report struct{ Results []Result }

// Failures are the results of steps that ran and failed.
func (r Report) Failures() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Err != nil {
			out = append(out, res)
		}
	}
	return out
}

// Check is the plan for one configuration: nothing has touched the network yet.
type Check struct {
	Targets []Target
	opts    Options
}

// New plans the checks for cfg: every upstream, then Redis if one is configured.
func New(cfg *config.Config, o Options) *Check {
	o = o.withDefaults()
	c := &Check{opts: o}
	for _, u := range cfg.Upstreams {
		c.Targets = append(c.Targets, planUpstream(u, o))
	}
	if cfg.Redis.Enabled() {
		c.Targets = append(c.Targets, planRedis(cfg.Redis, o))
	}
	return c
}

// Run performs the checks in order. obs may be nil.
func (c *Check) Run(ctx context.Context, obs Observer) Report {
	if obs == nil {
		obs = nopObserver{}
	}
	var rep Report
	for i := range c.Targets {
		t := &c.Targets[i]
		obs.Target(t)
		failed := ""
		for j := range t.Steps {
			s := &t.Steps[j]
			r := Result{Target: t.Name, Step: s.Name}
			switch {
			case failed != "":
				r.Skipped, r.Detail = true, failed+" failed"
			case s.Skip != "":
				r.Skipped, r.Detail = true, s.Skip
			default:
				obs.Step(t, s)
				r = c.runStep(ctx, r, s)
				if r.Err != nil {
					failed = s.Name
				}
			}
			obs.Done(t, s, r)
			rep.Results = append(rep.Results, r)
		}
	}
	return rep
}

func (c *Check) runStep(ctx context.Context, r Result, s *Step) Result {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	start := c.opts.Now()
	r.Detail, r.Err = s.run(ctx)
	r.Elapsed = c.opts.Now().Sub(start)
	return r
}

type nopObserver struct{}

func (nopObserver) Target(*Target)              {}
func (nopObserver) Step(*Target, *Step)         {}
func (nopObserver) Done(*Target, *Step, Result) {}
