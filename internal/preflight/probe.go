package preflight

import (
	"fmt"

	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/scopes"
)

// Probe is the one authenticated call that proves an upstream accepts the org token: the
// cheapest read any token can normally make, with the smallest answer.
type Probe struct {
	Method, Path, Query string
}

// probes, by profile. Retool charges 2 points for the users family, among the cheapest it
// publishes; limit=1 keeps the answer small (the cost is per call, whatever the page).
// Retable charges 1 of its 12 calls per second for anything; the workspace list needs no id.
var probes = map[string]Probe{
	"retool-v2":  {Method: "GET", Path: "/api/v2/users", Query: "limit=1"},
	"retable-v1": {Method: "GET", Path: "/v1/public/workspace"},
}

// ProbeFor returns the token probe for a profile; false when none is known, and the token
// step is then skipped with a note rather than guessing at a call that may cost a lot.
func ProbeFor(profile string) (Probe, bool) {
	p, ok := probes[profile]
	return p, ok
}

func (p Probe) String() string {
	if p.Query == "" {
		return p.Method + " " + p.Path
	}
	return p.Method + " " + p.Path + "?" + p.Query
}

// pricedProbe is a probe with what it costs and needs, read from the upstream's own route
// table (profile plus the config's overrides), so the stated cost is the one the gateway
// charges for the same call.
type pricedProbe struct {
	Probe
	Cost  int64
	Scope scopes.Scope
}

func priceProbe(u config.Upstream) (pricedProbe, string, error) {
	p, ok := ProbeFor(u.Profile)
	if !ok {
		if u.Profile == "" {
			return pricedProbe{}, "no profile, so no known cheap call: the org token is not checked", nil
		}
		return pricedProbe{}, fmt.Sprintf("no known cheap call for profile %s: the org token is not checked", u.Profile), nil
	}
	table, err := u.Table() // its errors say "load profile" or "compile routes"
	if err != nil {
		return pricedProbe{}, "", err
	}
	r, ok := table.Match(p.Method, p.Path)
	if !ok {
		return pricedProbe{}, "", fmt.Errorf("the route table has no row for %s", p)
	}
	return pricedProbe{Probe: p, Cost: r.Cost, Scope: r.Scope}, "", nil
}
