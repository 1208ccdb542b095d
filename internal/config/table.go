package config

import (
	"reflect"
	"slices"

	"github.com/budgetgw/gateway/internal/routes"
)

// builtTable is one routes.Build of an upstream's settings, with the settings it was built
// from. Immutable once made, so copies of an Upstream may share it.
type builtTable struct {
	name    string
	profile string
	rows    []routes.Spec
	table   *routes.Table
	err     error
}

// Table is the upstream's compiled route table (routes.Build of its profile and rows).
// Validate builds it; later calls on the same configuration (known scopes, the proxy,
// preflight) reuse that build while profile and routes are unchanged, so a configuration
// snapshot is compiled once. Not safe for concurrent use until Validate has run.
func (u *Upstream) Table() (*routes.Table, error) {
	if b := u.built; b != nil && b.name == u.Name && b.profile == u.Profile && reflect.DeepEqual(b.rows, u.Routes) {
		return b.table, b.err
	}
	t, err := routes.Build(u.Profile, u.Name, u.Routes)
	u.built = &builtTable{name: u.Name, profile: u.Profile, rows: slices.Clone(u.Routes), table: t, err: err}
	return t, err
}
