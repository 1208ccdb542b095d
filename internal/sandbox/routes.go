package sandbox

import (
	"strings"

	"github.com/budgetgw/gateway/internal/routes"
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
