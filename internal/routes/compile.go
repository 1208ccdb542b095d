package routes

import (
	"errors"
	"fmt"
	"time"

	"github.com/budgetgw/gateway/internal/scopes"
)

// Route is a compiled, immutable row. Pointers to it are shared by all
// requests; nothing may change it after Compile.
type Route struct {
	Method    string
	Template  string // as written in the row, e.g. /api/v2/users/{userId}
	Family    string // cost family and metrics label
	Operation string
	Scope     scopes.Scope
	Cost      int64 // resolved: the row's own cost, else the family's, else the default
	Coalesce  bool  // identical concurrent requests may share one upstream call
	// CacheTTL, when CacheSet, overrides the upstream's cache TTL for this route (0: off).
	CacheTTL time.Duration
	CacheSet bool
	// Public: served without a caller key, scope check or points; Scope is zero, Cost 0.
	Public bool
	ID     string // "GET /api/v2/users/{userId}": a bounded metrics label

	// Sensitive: the operation mints or reveals credentials; Scope is Exact.
	Sensitive bool

	tmpl template
}

// Table is the compiled lookup structure. It is safe for concurrent use.
type Table struct {
	root      *node
	routes    []*Route
	hasPublic bool
	profile   *Profile
}

// HasPublic reports whether any row is public, so the pipeline can skip the lookup
// for tables that have none.
func (t *Table) HasPublic() bool { return t.hasPublic }

// Routes lists the compiled routes: the profile's order, replaced rows in
// place, added rows last. The slice is a copy; the routes are shared.
func (t *Table) Routes() []*Route {
	return append([]*Route(nil), t.routes...)
}

// Compile builds a lookup table from the profile's rows, then overrides: an
// override with the same method and path shape replaces the profile's row,
// any other is added. Every problem in every row is reported, each naming its
// row ("profile retool-v2: routes[3].scope" or, for overrides, "routes[3].scope").
func Compile(p *Profile, overrides []Spec) (*Table, error) {
	if p == nil {
		return nil, errors.New("compile routes: no profile")
	}
	errs := p.validateCosts()

	var list []*Route
	where := map[string]int{}     // method+shape -> index in list
	fromProfile := map[int]bool{} // indexes an override may replace
	label := map[int]string{}     // index -> row label, for duplicate messages

	add := func(row string, s Spec, replaceable bool) {
		r, rowErrs := compileRow(row, s, p)
		errs = append(errs, rowErrs...)
		if r == nil {
			return
		}
		key := r.Method + " " + r.tmpl.shape()
		i, dup := where[key]
		switch {
		case !dup:
			where[key] = len(list)
			label[len(list)] = row
			fromProfile[len(list)] = replaceable
			list = append(list, r)
		case fromProfile[i] && !replaceable:
			list[i], label[i], fromProfile[i] = r, row, false
		default:
			errs = append(errs, fmt.Errorf("%s: %s %s duplicates %s (%s)", row, r.Method, r.Template, label[i], list[i].ID))
		}
	}
	for i, s := range p.Routes {
		add(fmt.Sprintf("profile %s: routes[%d]", p.Name, i), s, true)
	}
	for i, s := range overrides {
		add(fmt.Sprintf("routes[%d]", i), s, false)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("compile routes: %w", err)
	}

	t := &Table{root: &node{}, routes: list, profile: p}
	for _, r := range list {
		t.root.insert(r)
		t.hasPublic = t.hasPublic || r.Public
	}
	return t, nil
}

// compileRow checks one row and resolves its cost. It returns a nil route if
// the row is unusable, with one error per bad field.
func compileRow(row string, s Spec, p *Profile) (*Route, []error) {
	var errs []error
	bad := func(field string, err error) { errs = append(errs, fmt.Errorf("%s.%s: %w", row, field, err)) }

	if _, ok := methodIndex(s.Method); !ok {
		bad("method", fmt.Errorf("%q is not one of %s", s.Method, methodList))
	}
	tmpl, err := parseTemplate(s.Path)
	if err != nil {
		bad("path", fmt.Errorf("%q %w", s.Path, err))
	}
	if err := checkFamily(s.Family); err != nil {
		bad("family", err)
	}
	var need scopes.Scope
	if s.Public {
		errs = append(errs, checkPublic(row, s)...)
	} else if need, err = parseRequirement(s.Scope); err != nil {
		bad("scope", err)
	}
	if s.Sensitive {
		need = need.Exactly()
	}
	cost := s.Cost
	switch {
	case s.Public:
	case cost < 0:
		bad("cost", fmt.Errorf("%d is negative", cost))
	case cost == 0 && s.Family != "":
		if cost = p.familyCost(s.Family); cost <= 0 {
			bad("cost", fmt.Errorf("family %q has no cost and the profile has no default_cost", s.Family))
		}
	}
	readOnly := s.Method == "GET" || s.Method == "HEAD"
	coalesce := readOnly
	if s.Coalesce != nil {
		coalesce = *s.Coalesce
	}
	if coalesce && !readOnly {
		// Sharing one upstream call between two writers would drop a write.
		bad("coalesce", fmt.Errorf("only GET and HEAD may be coalesced, not %s", s.Method))
	}
	if s.Cache != nil && (!readOnly || s.Cache.TTL < 0) {
		bad("cache", fmt.Errorf("only GET and HEAD answers may be cached, for a TTL >= 0"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var ttl time.Duration
	if s.Cache != nil {
		ttl = s.Cache.TTL
	}
	return &Route{
		CacheTTL:  ttl,
		CacheSet:  s.Cache != nil,
		Method:    s.Method,
		Template:  s.Path,
		Family:    s.Family,
		Operation: s.Operation,
		Scope:     need,
		Cost:      cost,
		Coalesce:  coalesce,
		Public:    s.Public,
		Sensitive: s.Sensitive,
		ID:        s.Method + " " + s.Path,
		tmpl:      tmpl,
	}, nil
}

// checkPublic keeps a public row harmless: it is served to anyone, so it may only
// read, and it never reaches the budget or the scope check, so a cost or a scope on
// it would promise something the gateway does not do.
func checkPublic(row string, s Spec) []error {
	var errs []error
	if s.Method != "GET" && s.Method != "HEAD" {
		errs = append(errs, fmt.Errorf("%s.public: only GET and HEAD rows may be public, not %s", row, s.Method))
	}
	if s.Cost != 0 {
		errs = append(errs, fmt.Errorf("%s.cost: a public row spends no points; remove the cost or public", row))
	}
	if s.Scope != "" {
		errs = append(errs, fmt.Errorf("%s.scope: a public row is served without a key, so no scope is checked; remove the scope or public", row))
	}
	return errs
}

// parseRequirement accepts only a precise scope: a wildcard requirement
// would be granted to nobody but wildcard holders, which is never meant.
func parseRequirement(text string) (scopes.Scope, error) {
	if text == "" {
		return scopes.Scope{}, errors.New("is empty")
	}
	need, err := scopes.Parse(text)
	if err != nil {
		return scopes.Scope{}, err
	}
	if need.Family == scopes.Wildcard || need.Level == scopes.Wildcard {
		return scopes.Scope{}, fmt.Errorf("%q: a required scope names one family and one level, e.g. users:read", text)
	}
	return need, nil
}

// checkFamily keeps families usable as cost keys and metrics labels.
func checkFamily(f string) error {
	if f == "" {
		return errors.New("is empty")
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%q: use lower-case letters, digits and _", f)
		}
	}
	return nil
}
