package retoolv2

import (
	"regexp"
	"testing"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"
	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// allSchemas lists every schema the operations reach.
func allSchemas(t *testing.T) []*oas.Schema {
	t.Helper()
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return sp.Schemas()
}

func TestEveryPatternHasAGenerator(t *testing.T) {
	for _, s := range allSchemas(t) {
		if s.Pattern() == "" {
			continue
		}
		if _, ok := northwind.Patterns[s.Pattern()]; !ok {
			t.Errorf("no generator for pattern %s", s.Pattern())
			continue
		}
		re := regexp.MustCompile(s.Pattern())
		f := oas.NewFaker(1, nil, northwind)
		for range 20 {
			if v := f.Matching(s.Pattern(), "x"); !re.MatchString(v) {
				t.Errorf("generated %q for %s", v, s.Pattern())
			}
		}
	}
}

// TestMadeUpValuesAreValid is the invariant every answer rests on: whatever
// the faker makes for a schema of Retool's document, and whatever conform
// makes of any value, passes the schema's own check.
func TestMadeUpValuesAreValid(t *testing.T) {
	junk := []any{nil, "text", 42.0, true, []any{"a", 1.0}, map[string]any{"id": "x", "name": 3.0, "extra": []any{}}}
	schemas := allSchemas(t)
	for seed := range uint64(5) {
		f := oas.NewFaker(seed, map[string][]any{"email": {"not an email"}, "user_id": {"user_abc123"}}, northwind)
		for i, s := range schemas {
			if err := s.Check(f.Value(s, "field")); err != nil {
				t.Fatalf("seed %d schema %d: made-up value invalid: %v", seed, i, err)
			}
			for _, j := range junk {
				if err := s.Check(f.Conform(s, jsonpatch.Clone(j), "field")); err != nil {
					t.Fatalf("seed %d schema %d: conform(%v) invalid: %v", seed, i, j, err)
				}
			}
		}
	}
}
