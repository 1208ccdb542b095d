package scopes

import (
	"fmt"
	"sort"

	"github.com/budgetgw/gateway/internal/suggest"
)

// Catalogue is every scope the configured route tables can require. A grant that names
// nothing in it (users:raed, user:read) can never allow a call: it is a typo, refused
// where it is written (config file, admin API) with the closest valid name, rather than
// discovered later as 403s.
type Catalogue struct {
	families map[string]map[string]bool // family -> levels rows require
	levels   map[string]bool            // every level any row requires (for *:level)
}

// NewCatalogue starts a catalogue from the scopes rows require.
func NewCatalogue(required ...Scope) *Catalogue {
	c := &Catalogue{families: map[string]map[string]bool{}, levels: map[string]bool{Read: true, Write: true}}
	c.Add(required...)
	return c
}

// Add records scopes that rows require.
func (c *Catalogue) Add(required ...Scope) {
	for _, s := range required {
		if c.families[s.Family] == nil {
			c.families[s.Family] = map[string]bool{}
		}
		c.families[s.Family][s.Level] = true
		c.levels[s.Level] = true
	}
}

// Empty reports whether no table was added (then nothing can be checked).
func (c *Catalogue) Empty() bool { return c == nil || len(c.families) == 0 }

// Check accepts a grant that names a known family and level: `*`, `family`,
// `family:read|write` (write implies read), `family:action` where a row requires exactly
// that action, and `*:level` for a level some row requires. Anything else is refused with
// the closest valid name.
func (c *Catalogue) Check(text string) error {
	s, err := Parse(text)
	if err != nil {
		return err
	}
	if c.Empty() || s.Family == Wildcard && (s.Level == Wildcard || c.levels[s.Level]) {
		return nil
	}
	if levels, ok := c.families[s.Family]; ok && (s.Level == Wildcard || s.Level == Read || s.Level == Write || levels[s.Level]) {
		return nil
	}
	return fmt.Errorf("unknown scope %q: no route requires it%s", text, suggest.DidYouMean(s.String(), c.Names()))
}

// CheckAll checks every grant and reports all bad ones in one error.
func (c *Catalogue) CheckAll(texts []string) error {
	var msgs []string
	for _, t := range texts {
		if err := c.Check(t); err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", joinSemi(msgs))
}

// Names lists every valid grant but the wildcards, sorted: family, family:read,
// family:write and each action.
func (c *Catalogue) Names() []string {
	var out []string
	for f, levels := range c.families {
		out = append(out, f, f+":"+Read, f+":"+Write)
		for l := range levels {
			if l != Read && l != Write {
				out = append(out, f+":"+l)
			}
		}
	}
	sort.Strings(out)
	return out
}

func joinSemi(msgs []string) string {
	out := msgs[0]
	for _, m := range msgs[1:] {
		out += "; " + m
	}
	return out
}
