package config

import (
	"errors"

	"github.com/budgetgw/gateway/internal/scopes"
	"github.com/budgetgw/gateway/internal/secret"
)

// CheckSources reads every secret the file points at (org tokens, the admin token, the
// Redis password) as serve does at start, and reports each one that is unset, missing,
// unreadable or empty by its key path. `config check` runs it, so a file it passes does
// not fail at start for a token. The values read are dropped at once.
func (c *Config) CheckSources() error {
	var errs []error
	check := func(path string, src secret.Source) {
		if src.Env == "" && src.File == "" {
			return
		}
		key := path + ".token_env"
		if src.File != "" {
			key = path + ".token_file"
		}
		if _, err := src.Load(); err != nil {
			errs = append(errs, &FieldError{Path: key, Line: c.lines[key], Msg: err.Error()})
		}
	}
	for i, u := range c.Upstreams {
		check(field("upstreams", i, "auth"), u.Auth.Source)
	}
	check("admin", c.Admin.Source)
	check("redis.password", c.Redis.Password)
	return errors.Join(errs...)
}

// KnownScopes is every scope the upstreams' route tables require: what a caller's or the
// org token's grant may name. Tables that do not compile add nothing (Validate says why).
func (c *Config) KnownScopes() *scopes.Catalogue {
	known := scopes.NewCatalogue()
	for i := range c.Upstreams {
		if t, err := c.Upstreams[i].Table(); err == nil {
			for _, r := range t.Routes() {
				known.Add(r.Scope)
			}
		}
	}
	return known
}
