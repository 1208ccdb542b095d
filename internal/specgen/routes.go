package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// publishedCosts are Retool's points per call, keyed by the path's first
// segment, which is our cost family. The table names families as Retool's
// documentation does ("Access Request", "User Invite", "SSO"); those map to
// the path families that serve them.
var publishedCosts = map[string]int64{
	"apps": 2, "folders": 2, "users": 2,
	"access_requests": 5, "app_themes": 5, "environments": 5, "groups": 5,
	"resources": 5, "resource_configurations": 5, "source_control": 5,
	"spaces": 5, "sso": 5, "user_attributes": 5, "user_invites": 5,
	"permissions": 10,
}

// defaultCost is charged to families without a published cost: the highest
// published one, because under-charging risks the upstream's lockout for
// every client while over-charging only slows some.
const defaultCost = 10

// scopeFamilies maps the family half of a stated scope to ours. The document
// spells some inconsistently ("Environment" and "Environments").
var scopeFamilies = map[string]string{
	"Access Tokens":           "access_tokens",
	"App Themes":              "app_themes",
	"Apps":                    "apps",
	"Configuration Variables": "configuration_variables",
	"CustomComponent":         "custom_components",
	"Environment":             "environments",
	"Environments":            "environments",
	"Folders":                 "folders",
	"Groups":                  "groups",
	"Observability":           "observability",
	"Organizations":           "organization",
	"Permissions":             "permissions",
	"Resources":               "resources",
	"Source Control":          "source_control",
	"Spaces":                  "spaces",
	"User Attributes":         "user_attributes",
	"User Tasks":              "user_tasks",
	"Users":                   "users",
	"Workflows":               "workflows",
	"usage":                   "usage", // stated without a level
}

var scopeLevels = map[string]string{
	"Read": "read", "Write": "write", "Deploy": "deploy", "Test Deploy": "test_deploy",
}

// wholePhrases are stated scopes that do not split into family and level.
// Release management is its own grant in Retool, apart from Source Control.
var wholePhrases = map[string]string{
	"Source control > Releases (Read)":  "source_control_releases:read",
	"Source control > Releases (Write)": "source_control_releases:write",
}

// statedScope finds "must have the "X > Read" scope" and "must have either the
// "A > Write" or "B > Write" scope"; quotedPhrase then lists X, or A and B.
var (
	statedScope  = regexp.MustCompile(`must have (?:either )?the ((?:["'][^"']+["'](?: or )?)+) scope`)
	quotedPhrase = regexp.MustCompile(`["']([^"']+)["']`)
)

// row is one line of the profile.
type row struct {
	method, path, family, scope, operation string
	notes                                  []string
	public                                 bool   // served without a key or points (extraRows only)
	cache                                  string // the row's cache TTL, e.g. "30s"; "": the upstream's
	sensitive                              bool
}

// generateRoutes derives the route profile's YAML text.
func generateRoutes(d document) ([]byte, error) {
	rows, err := deriveRoutes(d.ops)
	if err != nil {
		return nil, err
	}
	rows = append(rows, extraRows...)
	sortRows(rows)
	return emitRoutes(d.version, rows), nil
}

func deriveRoutes(ops []operation) ([]row, error) {
	var rows []row
	var errs []string
	marked := map[string]bool{}
	for _, op := range ops {
		r, err := deriveRow(op)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s %s: %v", op.method, op.path, err))
			continue
		}
		if scope, ok := sensitiveRows[op.method+" "+op.path]; ok {
			r = markSensitive(r, scope)
			marked[op.method+" "+op.path] = true
		}
		rows = append(rows, r)
	}
	for k := range sensitiveRows {
		if !marked[k] {
			errs = append(errs, fmt.Sprintf("sensitiveRows: %s is not in the document: update the list", k))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	sortRows(rows)
	return rows, nil
}

// sortRows orders rows by path, then method, so the profile diffs cleanly.
func sortRows(rows []row) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].path != rows[j].path {
			return rows[i].path < rows[j].path
		}
		return methodRank(rows[i].method) < methodRank(rows[j].method)
	})
}

func deriveRow(op operation) (row, error) {
	path, renamed := bracedParams(op.path)
	r := row{method: op.method, path: basePath + path, operation: op.operationID}
	r.family = strings.Split(strings.TrimPrefix(path, "/"), "/")[0]
	if r.family == "" {
		return r, fmt.Errorf("no path family")
	}
	if renamed {
		r.notes = append(r.notes, "parameter written :name in the document")
	}
	if op.deprecated {
		r.notes = append(r.notes, "deprecated")
	}
	phrases, err := statedPhrases(op.description)
	if err != nil {
		return r, err
	}
	if len(phrases) == 0 {
		// Deny by default: the path family's own scope, read only for GET.
		r.scope = r.family + ":" + levelFor(op.method)
		r.notes = append(r.notes, "no scope stated")
		return r, nil
	}
	var alts []string
	for _, ph := range phrases {
		s, err := mapScope(ph, op.method)
		if err != nil {
			return r, err
		}
		alts = append(alts, s)
	}
	r.scope = narrowest(alts, path)
	if len(alts) > 1 {
		r.notes = append(r.notes, "also allowed upstream: "+strings.Join(without(alts, r.scope), ", "))
	}
	return r, nil
}

// statedPhrases returns the scope phrases of the description's one stated
// requirement; several are alternatives.
func statedPhrases(desc string) ([]string, error) {
	stated := statedScope.FindAllStringSubmatch(desc, -1)
	if len(stated) == 0 {
		return nil, nil
	}
	for _, s := range stated[1:] {
		if s[1] != stated[0][1] {
			return nil, fmt.Errorf("states two requirements: %s and %s", stated[0][1], s[1])
		}
	}
	var out []string
	for _, m := range quotedPhrase.FindAllStringSubmatch(stated[0][1], -1) {
		out = append(out, m[1])
	}
	return out, nil
}

// narrowest picks one of several scopes the upstream accepts, since a route
// requires exactly one: the one named for the resource the path acts on (its
// last static segment), so a client can hold the least it needs
// (user_attributes:write rather than users:write). Otherwise the first.
func narrowest(alts []string, path string) string {
	segs := strings.Split(path, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i] == "" || strings.HasPrefix(segs[i], "{") {
			continue
		}
		for _, a := range alts {
			if strings.HasPrefix(a, segs[i]+":") {
				return a
			}
		}
		break
	}
	return alts[0]
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func mapScope(phrase, method string) (string, error) {
	if s, ok := wholePhrases[phrase]; ok {
		return s, nil
	}
	fam, lvl, hasLevel := strings.Cut(phrase, " > ")
	family, ok := scopeFamilies[fam]
	if !ok {
		return "", fmt.Errorf("unknown scope family in %q: add it to scopeFamilies", phrase)
	}
	if !hasLevel {
		return family + ":" + levelFor(method), nil
	}
	level, ok := scopeLevels[lvl]
	if !ok {
		return "", fmt.Errorf("unknown scope level in %q: add it to scopeLevels", phrase)
	}
	return family + ":" + level, nil
}

func levelFor(method string) string {
	if method == "GET" || method == "HEAD" {
		return "read"
	}
	return "write"
}

func methodRank(m string) int {
	return strings.Index("GET HEAD POST PUT PATCH DELETE", m)
}

// markSensitive requires scope, exactly, instead of the stated one.
func markSensitive(r row, scope string) row {
	if scope != r.scope {
		r.notes = append(r.notes, "sensitive: its own scope, not "+r.scope)
	}
	r.scope, r.sensitive = scope, true
	return r
}
