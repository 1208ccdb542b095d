package sandbox

import (
	"strings"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

// UseRoutes fills Cost and Collection from a route table, so the simulated upstream
// charges exactly what the real one does for every operation the table knows.
func (o *Options) UseRoutes(t *routes.Table) {
	o.Cost = func(method, path string) (int64, bool) {
		r, ok := t.Match(method, path)
		if !ok {
			return 0, false
		}
		return r.Cost, true
	}
	o.Collection = func(path string) bool {
		r, ok := t.Match("GET", path)
		if !ok {
			return false
		}
		tpl := strings.TrimSuffix(r.Template, "/")
		return !strings.HasSuffix(tpl, "}")
	}
}

// UseScopes fills Allow and Forbidden from a route table and the scopes the
// simulated token holds: a call is refused 403, naming the scope it needs,
// when the token lacks its route's scope, as Retool refuses a token created
// without it. Write implies read, as in Retool's token settings.
func (o *Options) UseScopes(t *routes.Table, held scopes.Set) {
	o.Allow = func(method, path string) bool {
		r, ok := t.Match(method, path)
		// Exactness (sensitive rows) is the gateway's own policy, not Retool's: a Retool
		// token holding the family's scope makes the call, so the simulated one does too.
		need := r.Scope
		need.Exact = false
		return ok && held.Allows(need)
	}
	o.Forbidden = func(method, path string) string {
		r, ok := t.Match(method, path)
		if !ok {
			return "The API token lacks the scope this endpoint requires"
		}
		return "The API token is missing the " + r.Scope.String() + " scope this endpoint requires"
	}
}
