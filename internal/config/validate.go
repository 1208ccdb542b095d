package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

// Names end up in metric labels, Redis keys and caller keys: keep them plain and bounded.
// These are the module's one definition of a valid name and key id (ValidName, ValidKeyID).
var (
	namePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)
	keyIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
)

// ValidName reports whether s may name an upstream, a budget or a caller: lower-case
// letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 long.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// ValidKeyID reports whether s may identify a caller key (auth.NewKeyID makes such ids):
// like a name, without '.' and '_' ('_' separates the id from the secret in a key).
func ValidKeyID(s string) bool { return keyIDPattern.MatchString(s) }

// Validate reports every problem, each prefixed with the field it concerns.
func (c *Config) Validate() error {
	var errs []error
	bad := func(fieldName, format string, args ...any) {
		errs = append(errs, &FieldError{Path: fieldName, Msg: fmt.Sprintf(format, args...)})
	}
	s := c.Server
	checkAddress("server.listen", s.Listen, bad)
	checkAddress("server.admin_listen", s.AdminListen, bad)
	if s.MaxBodyBytes <= 0 {
		bad("server.max_body_bytes", "must be > 0")
	}
	if s.ShutdownGrace < 0 {
		bad("server.shutdown_grace", "must be >= 0")
	}
	if s.ReadHeaderTimeout <= 0 {
		bad("server.read_header_timeout", "must be > 0")
	}
	if s.ReadTimeout <= 0 {
		bad("server.read_timeout", "must be > 0")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	c.validateRedis(bad)
	if c.Admin.Env != "" && c.Admin.File != "" {
		bad("admin", "set token_env or token_file, not both")
	}
	if c.Admin.MaxActiveKeys < 1 {
		bad("admin.max_active_keys", "must be >= 1")
	}
	if len(c.Upstreams) == 0 {
		bad("upstreams", "must list at least one upstream")
	}
	names, mounts, budgets := map[string]int{}, map[string]int{}, map[string]int{}
	known := scopes.NewCatalogue()
	for i, u := range c.Upstreams {
		c.validateUpstream(i, &c.Upstreams[i], known, bad)
		if j, dup := names[u.Name]; dup {
			bad(field("upstreams", i, "name"), "%q is already upstreams[%d]", u.Name, j)
		}
		names[u.Name] = i
		if j, dup := mounts[u.Mount]; dup {
			bad(field("upstreams", i, "mount"), "%q is already mounted by upstreams[%d]", u.Mount, j)
		}
		mounts[u.Mount] = i
		if j, shared := budgets[u.Budget.Name]; shared {
			o := c.Upstreams[j].Budget
			if o.Capacity != u.Budget.Capacity || o.Window != u.Budget.Window || o.Reserve != u.Budget.Reserve || o.LockoutOrZero() != u.Budget.LockoutOrZero() {
				bad(field("upstreams", i, "budget"), "shares budget %q with upstreams[%d] but its capacity, window, reserve or lockout differ", u.Budget.Name, j)
			}
		} else {
			budgets[u.Budget.Name] = i
		}
	}
	keyIDs := map[string]string{}
	callerNames := map[string]int{}
	for i, cl := range c.Callers {
		validateCaller(i, cl, keyIDs, known, bad)
		c.validateCallerWait(i, cl, bad)
		if j, dup := callerNames[cl.Name]; dup {
			bad(field("callers", i, "name"), "%q is already callers[%d]", cl.Name, j)
		}
		callerNames[cl.Name] = i
	}
	return errors.Join(errs...)
}

type reporter func(field, format string, args ...any)

func (c *Config) validateRedis(bad reporter) {
	r := c.Redis
	if r.URL != "" {
		if _, err := url.Parse(r.URL); err != nil || !(strings.HasPrefix(r.URL, "redis://") || strings.HasPrefix(r.URL, "rediss://") || strings.HasPrefix(r.URL, "unix://")) {
			bad("redis.url", "must be a redis://, rediss:// or unix:// URL")
		}
		if len(r.Addrs) > 0 {
			bad("redis.addrs", "set redis.url or redis.addrs, not both")
		}
	}
	if r.MasterName != "" && r.Cluster {
		bad("redis.master_name", "Sentinel (master_name) and cluster are exclusive")
	}
	if len(r.Addrs) > 1 && r.MasterName == "" && !r.Cluster {
		bad("redis.addrs", "several addresses need master_name (Sentinel) or cluster: true")
	}
	if (r.MasterName != "" || r.Cluster) && len(r.Addrs) == 0 {
		bad("redis.addrs", "must list the Sentinel or Cluster nodes")
	}
	if r.OnFailure != "local_share" && r.OnFailure != "fail_closed" {
		bad("redis.on_failure", "must be local_share or fail_closed, not %q", r.OnFailure)
	}
	if r.Replicas < 1 {
		bad("redis.replicas", "must be >= 1 (how many gateways share the budget)")
	}
	if r.Timeout <= 0 {
		bad("redis.timeout", "must be > 0")
	}
	if !namePattern.MatchString(r.KeyPrefix) {
		bad("redis.key_prefix", "must match %s", namePattern)
	}
}

func (c *Config) validateUpstream(i int, u *Upstream, known *scopes.Catalogue, bad reporter) {
	f := func(name string) string { return field("upstreams", i, name) }
	if !namePattern.MatchString(u.Name) {
		bad(f("name"), "%q must match %s", u.Name, namePattern)
	}
	if !strings.HasPrefix(u.Mount, "/") || strings.Contains(u.Mount, "//") || strings.ContainsAny(u.Mount, "?#%;") {
		bad(f("mount"), "%q must be a plain path starting with /", u.Mount)
	}
	if b, err := url.Parse(u.BaseURL); err != nil || (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" {
		bad(f("base_url"), "%q must be an absolute http(s) URL", u.BaseURL)
	}
	if u.PublicURL != "" {
		if p, err := url.Parse(u.PublicURL); err != nil || p.Host == "" {
			bad(f("public_url"), "%q must be an absolute URL", u.PublicURL)
		}
	}
	if u.Profile == "" && len(u.Routes) == 0 {
		bad(f("profile"), "set a profile (%s) or list routes", strings.Join(routes.ProfileNames(), ", "))
	}
	own := scopes.NewCatalogue()
	table, err := u.Table()
	var profileErr *routes.ProfileError
	if errors.As(err, &profileErr) {
		bad(f("profile"), "%v", profileErr.Err)
	} else {
		rows := err
		if inner := errors.Unwrap(err); inner != nil {
			rows = inner // Compile wraps the joined row errors in "compile routes: "
		}
		for _, e := range unjoin(rows) {
			// "routes[3].scope: ..." names a row of this upstream: make it a full key path.
			if row, msg, ok := strings.Cut(e.Error(), ": "); ok && strings.HasPrefix(row, "routes[") {
				bad(f(row), "%s", msg)
			} else if err != nil {
				bad(f("routes"), "%v", e)
			}
		}
	}
	if table != nil {
		for _, r := range table.Routes() {
			own.Add(r.Scope)
			known.Add(r.Scope)
		}
	}
	switch u.Auth.Scheme {
	case "bearer":
	case "header":
		if u.Auth.Header == "" {
			bad(f("auth.header"), "must name the header when scheme is header")
		}
	default:
		bad(f("auth.scheme"), "must be bearer or header, not %q", u.Auth.Scheme)
	}
	if (u.Auth.Env == "") == (u.Auth.File == "") {
		bad(f("auth"), "set exactly one of token_env or token_file (the org token never lives in this file)")
	}
	if len(u.TokenScopes) == 0 {
		bad(f("token_scopes"), "an empty list grants the org token nothing, so every call would be refused; list its scopes, or leave the key out for all")
	} else if err := own.CheckAll(u.TokenScopes); err != nil {
		bad(f("token_scopes"), "%v", err)
	}
	b := u.Budget
	// Without its profile the budget has no defaults: one error (the profile) says it all.
	profileMissing := profileErr != nil
	if b.Capacity <= 0 && !(profileMissing && b.Capacity == 0) {
		bad(f("budget.capacity"), "must be > 0")
	}
	if b.Window <= 0 && !(profileMissing && b.Window == 0) {
		bad(f("budget.window"), "must be > 0")
	}
	if b.Reserve < 0 || (b.Capacity > 0 && b.Reserve >= b.Capacity) {
		bad(f("budget.reserve"), "must be >= 0 and below capacity (%d)", b.Capacity)
	}
	if b.Name != "" && !namePattern.MatchString(b.Name) {
		bad(f("budget.name"), "%q must match %s", b.Name, namePattern)
	}
	if b.LockoutOrZero() < 0 {
		bad(f("budget.lockout"), "must be >= 0")
	}
	if b.MaxWaitOrZero() < 0 {
		bad(f("budget.max_wait"), "must be >= 0")
	}
	if b.MaxWaitCeiling < 0 {
		bad(f("budget.max_wait_ceiling"), "must be > 0")
	} else if b.MaxWaitOrZero() > b.MaxWaitCeiling {
		bad(f("budget.max_wait"), "%v is above budget.max_wait_ceiling (%v); raise the ceiling or lower max_wait", b.MaxWaitOrZero(), b.MaxWaitCeiling)
	}
	if u.Timeout <= 0 {
		bad(f("timeout"), "must be > 0")
	}
	if u.Spec.Refresh <= 0 {
		bad(f("spec.refresh"), "must be > 0")
	}
	if u.Spec.Cost < 0 {
		bad(f("spec.cost"), "must be >= 0")
	}
	if u.Cache.TTL < 0 || u.Cache.MaxEntries < 0 || u.Cache.MaxBytes < 0 {
		bad(f("cache"), "ttl, max_entries and max_bytes must be >= 0")
	}
}

func validateCaller(i int, cl Caller, keyIDs map[string]string, known *scopes.Catalogue, bad reporter) {
	f := func(name string) string { return field("callers", i, name) }
	if !namePattern.MatchString(cl.Name) {
		bad(f("name"), "%q must match %s", cl.Name, namePattern)
	}
	if err := known.CheckAll(cl.Scopes); err != nil {
		bad(f("scopes"), "%v", err)
	}
	if _, err := budget.ParsePriority(cl.Priority); err != nil {
		bad(f("priority"), "%v", err)
	}
	if cl.MaxPoints < 0 {
		bad(f("max_points"), "must be >= 0 (0: no cap)")
	}
	for k, key := range cl.Keys {
		kf := fmt.Sprintf("%s[%d]", f("keys"), k)
		if !keyIDPattern.MatchString(key.ID) {
			bad(kf+".id", "%q must match %s", key.ID, keyIDPattern)
		} else if owner, dup := keyIDs[key.ID]; dup {
			bad(kf+".id", "%q is already a key of caller %q", key.ID, owner)
		}
		keyIDs[key.ID] = cl.Name
		if b, err := hex.DecodeString(key.SHA256); err != nil || len(b) != 32 {
			bad(kf+".sha256", "must be the 64 hex digits of the key's SHA-256 (gateway keys new prints it)")
		}
	}
}

// validateCallerWait checks a caller's max_wait against every upstream's ceiling, so a
// configured patience is never cut short silently.
func (c *Config) validateCallerWait(i int, cl Caller, bad reporter) {
	if cl.MaxWait == nil {
		return
	}
	if *cl.MaxWait < 0 {
		bad(field("callers", i, "max_wait"), "must be >= 0 (0: never wait)")
		return
	}
	for j, u := range c.Upstreams {
		if u.Budget.MaxWaitCeiling > 0 && *cl.MaxWait > u.Budget.MaxWaitCeiling {
			bad(field("callers", i, "max_wait"), "%v is above upstreams[%d].budget.max_wait_ceiling (%v); raise the ceiling or lower max_wait", *cl.MaxWait, j, u.Budget.MaxWaitCeiling)
		}
	}
}

// checkAddress refuses what net.Listen would: an address needs a port ("localhost"
// alone fails only when serve starts, long after config check said yes).
func checkAddress(key, addr string, bad reporter) {
	if addr == "" {
		bad(key, "must not be empty (host:port, e.g. :8080 or 127.0.0.1:9090)")
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		bad(key, "%q must be host:port, e.g. :8080 or 127.0.0.1:9090", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad(key, "%q: the port must be a number from 0 to 65535", addr)
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
