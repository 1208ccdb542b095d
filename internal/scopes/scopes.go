package scopes

import (
	"fmt"
	"sort"
	"strings"
)

// Wildcard matches any family or any level.
const Wildcard = "*"

// Levels with an order: a grant of Write also grants Read.
const (
	Read  = "read"
	Write = "write"
)

// Scope is one grant or requirement, such as users:read. The zero Scope is invalid.
type Scope struct {
	Family string // "users", "source_control", or "*"
	Level  string // "read", "write", another action such as "deploy", or "*"
	// Exact, on a requirement, means only the same scope held grants it: no wildcard
	// ("*", "*:write", "family"), and no write-implies-read. Operations that mint or
	// reveal credentials require their scope this way, so a broad grant made for
	// convenience never hands them out. Parse never sets it; see Scope.Exactly.
	Exact bool
}

// Exactly returns s as a requirement that only s itself grants.
func (s Scope) Exactly() Scope {
	s.Exact = true
	return s
}

// String renders the canonical form, e.g. "users:read" or "*".
func (s Scope) String() string {
	if s.Family == Wildcard && s.Level == Wildcard {
		return Wildcard
	}
	return s.Family + ":" + s.Level
}

// Parse reads "family:level", "family" (all levels of it), or "*" (everything).
// Names are lower-cased; they may hold letters, digits and underscores.
func Parse(text string) (Scope, error) {
	t := strings.ToLower(strings.TrimSpace(text))
	if t == Wildcard {
		return Scope{Family: Wildcard, Level: Wildcard}, nil
	}
	family, level, found := strings.Cut(t, ":")
	if !found {
		level = Wildcard
	}
	if err := checkName(family); err != nil {
		return Scope{}, fmt.Errorf("scope %q: family %w", text, err)
	}
	if err := checkName(level); err != nil {
		return Scope{}, fmt.Errorf("scope %q: level %w", text, err)
	}
	return Scope{Family: family, Level: level}, nil
}

func checkName(n string) error {
	if n == Wildcard {
		return nil
	}
	if n == "" {
		return fmt.Errorf("is empty")
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("has %q: use letters, digits and _ (or *)", r)
		}
	}
	return nil
}

// Grants reports whether holding g allows what need requires.
func (g Scope) Grants(need Scope) bool {
	if need.Exact {
		return g.Family == need.Family && g.Level == need.Level
	}
	if g.Family != Wildcard && g.Family != need.Family {
		return false
	}
	switch {
	case g.Level == Wildcard, g.Level == need.Level:
		return true
	case g.Level == Write && need.Level == Read:
		return true
	}
	return false
}

// Set is what a caller or token holds. The zero Set grants nothing.
type Set struct {
	scopes []Scope
}

// ParseSet parses every entry and reports all bad ones at once.
func ParseSet(texts []string) (Set, error) {
	var s Set
	var bad []string
	for _, t := range texts {
		sc, err := Parse(t)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		s.scopes = append(s.scopes, sc)
	}
	if len(bad) > 0 {
		return Set{}, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return s, nil
}

// MustParseSet is ParseSet for literals in tests and built-in tables; it panics on error.
func MustParseSet(texts ...string) Set {
	s, err := ParseSet(texts)
	if err != nil {
		panic(err)
	}
	return s
}

// Allows reports whether any scope in the set grants need.
func (s Set) Allows(need Scope) bool {
	for _, g := range s.scopes {
		if g.Grants(need) {
			return true
		}
	}
	return false
}

// Strings returns the canonical forms, sorted, for display and JSON.
func (s Set) Strings() []string {
	out := make([]string, len(s.scopes))
	for i, sc := range s.scopes {
		out[i] = sc.String()
	}
	sort.Strings(out)
	return out
}

// Len is the number of scopes held.
func (s Set) Len() int { return len(s.scopes) }
