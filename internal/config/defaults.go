package config

import (
	"fmt"
	"time"

	"github.com/budgetgw/gateway/internal/routes"
)

// applyDefaults fills every unset field. Profile values come first for an upstream, so
// `profile: retool-v2` alone gives the real budget and auth scheme.
func (c *Config) applyDefaults() error {
	s := &c.Server
	setDefault(&s.Listen, ":8080")
	setDefault(&s.AdminListen, "127.0.0.1:9090")
	setDefault(&s.MaxBodyBytes, 10<<20)
	setDefault(&s.ShutdownGrace, 20*time.Second)
	setDefault(&s.ReadHeaderTimeout, 10*time.Second)
	setDefault(&s.ReadTimeout, 30*time.Second)
	setDefault(&s.IdleTimeout, 120*time.Second)
	setDefault(&s.AuthFailureLimit, 30)
	r := &c.Redis
	setDefault(&r.Timeout, 250*time.Millisecond)
	setDefault(&r.Replicas, 1)
	setDefault(&r.OnFailure, "local_share")
	setDefault(&r.KeyPrefix, "gw")
	if r.Leases == nil {
		on := true
		r.Leases = &on
	}
	setDefault(&c.Log.Level, "info")
	setDefault(&c.Admin.MaxActiveKeys, 2)
	for i := range c.Upstreams {
		u := &c.Upstreams[i]
		setDefault(&u.Mount, "/")
		setDefault(&u.Timeout, 30*time.Second)
		if u.Profile != "" {
			// An unknown profile is reported by Validate with the field name; the other
			// defaults still apply, so it is the only error.
			if p, err := routes.LoadProfile(u.Profile); err == nil {
				setDefault(&u.Auth.Scheme, p.Auth.Scheme)
				setDefault(&u.Auth.Header, p.Auth.Header)
				setDefault(&u.Budget.Capacity, p.Budget.Capacity)
				setDefault(&u.Budget.Window, p.Budget.Window)
				if u.Budget.Lockout == nil {
					u.Budget.Lockout = &p.Budget.Lockout
				}
			}
		}
		setDefault(&u.Auth.Scheme, "bearer")
		if u.Auth.Scheme == "bearer" {
			setDefault(&u.Auth.Header, "Authorization")
		}
		if u.Spec.Enabled == nil {
			on := u.Profile == "retool-v2"
			u.Spec.Enabled = &on
		}
		setDefault(&u.Spec.Refresh, 10*time.Minute)
		setDefault(&u.Budget.Name, u.Name)
		if u.Budget.Lockout == nil {
			w := u.Budget.Window
			u.Budget.Lockout = &w
		}
		if u.Budget.MaxWait == nil {
			d := 5 * time.Second
			u.Budget.MaxWait = &d
		}
		setDefault(&u.Budget.MaxWaitCeiling, 2*time.Minute)
		if u.TokenScopes == nil { // absent; an explicit [] stays empty and is refused
			u.TokenScopes = []string{"*"}
		}
	}
	for i := range c.Callers {
		setDefault(&c.Callers[i].Priority, "normal")
	}
	return nil
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// field names an element of a list for error messages.
func field(list string, i int, name string) string { return fmt.Sprintf("%s[%d].%s", list, i, name) }
