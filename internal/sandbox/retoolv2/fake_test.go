package retoolv2

import (
	"testing"

	"github.com/budgetgw/gateway/internal/sandbox/retoolv2/internal/jsonpatch"
)

// allSchemas walks every schema the operations reach.
func allSchemas(t *testing.T) []*schema {
	t.Helper()
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[*schema]bool{}
	var out []*schema
	var walk func(s *schema)
	walk = func(s *schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
		for _, p := range s.properties {
			walk(p)
		}
		for _, l := range [][]*schema{s.anyOf, s.oneOf, {s.items, s.extra}} {
			for _, c := range l {
				walk(c)
			}
		}
	}
	for _, op := range sp.ops {
		walk(op.body)
		for _, r := range op.responses {
			walk(r)
		}
	}
	return out
}

func TestEveryPatternHasAGenerator(t *testing.T) {
	for _, s := range allSchemas(t) {
		if s.pattern == nil {
			continue
		}
		if _, ok := patterns[s.pattern.String()]; !ok {
			t.Errorf("no generator for pattern %s", s.pattern)
			continue
		}
		f := newFaker(1, nil)
		for range 20 {
			if v := f.str(s, "x"); !s.pattern.MatchString(v) {
				t.Errorf("generated %q for %s", v, s.pattern)
			}
		}
	}
}

// TestMadeUpValuesAreValid is the invariant every answer rests on: whatever
// the faker makes for a schema, and whatever conform makes of any value,
// passes the schema's own check.
func TestMadeUpValuesAreValid(t *testing.T) {
	junk := []any{nil, "text", 42.0, true, []any{"a", 1.0}, map[string]any{"id": "x", "name": 3.0, "extra": []any{}}}
	schemas := allSchemas(t)
	for seed := range uint64(5) {
		f := newFaker(seed, map[string][]any{"email": {"not an email"}, "user_id": {"user_abc123"}})
		for i, s := range schemas {
			if err := s.check(f.value(s, "field")); err != nil {
				t.Fatalf("seed %d schema %d: made-up value invalid: %v", seed, i, err)
			}
			for _, j := range junk {
				if err := s.check(f.conform(s, jsonpatch.Clone(j), "field")); err != nil {
					t.Fatalf("seed %d schema %d: conform(%v) invalid: %v", seed, i, j, err)
				}
			}
		}
	}
}

func TestConformKeepsWhatFits(t *testing.T) {
	f := newFaker(1, nil)
	user := firstObject(mustOp(t, "GET", "/api/v2/users/{userId}").responses[200].itemSchema())
	got := f.conform(user, map[string]any{"email": "kept@northwind.example", "first_name": "", "surplus": 1.0}, "").(map[string]any)
	if got["email"] != "kept@northwind.example" {
		t.Errorf("a valid email was replaced: %v", got["email"])
	}
	if got["first_name"] == "" {
		t.Error("an empty first_name (minLength 1) was kept")
	}
	if _, has := got["surplus"]; has {
		t.Error("a field the closed schema does not declare was kept")
	}
}

func mustOp(t *testing.T, method, template string) *operation {
	t.Helper()
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range sp.ops {
		if op.method == method && op.template == template {
			return op
		}
	}
	t.Fatalf("no operation %s %s", method, template)
	return nil
}

func TestFindPrefersStaticSegments(t *testing.T) {
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.ops) != 144 {
		t.Fatalf("%d operations in the data file, want 144", len(sp.ops))
	}
	cases := []struct{ method, path, want string }{
		{"PUT", "/api/v2/users/reset2fa/user_1", "/api/v2/users/reset2fa/{userId}"},
		{"POST", "/api/v2/apps/cloneApp", "/api/v2/apps/cloneApp"},
		{"GET", "/api/v2/apps/cloneApp", "/api/v2/apps/{appId}"},
		{"PUT", "/api/v2/source_control/manifests/m/apps/a", "/api/v2/source_control/manifests/{manifestName}/apps/{appUuid}"},
		{"GET", "/api/v2/source_control/releases/apps/a", "/api/v2/source_control/releases/apps/{appUuid}"},
		{"GET", "/api/v2/source_control/releases/e", "/api/v2/source_control/releases/{elementUuid}"},
		{"GET", "/api/v2/organization", "/api/v2/organization/"},
		{"HEAD", "/API/V2/Users/", "/api/v2/users"},
		{"GET", "/api/v2/access_tokens/t1", "/api/v2/access_tokens/{accessTokenId}"},
		{"DELETE", "/api/v2/users", ""},
		{"GET", "/api/v2/users/..", ""},
	}
	for _, c := range cases {
		op, _ := sp.find(c.method, c.path)
		got := ""
		if op != nil {
			got = op.template
		}
		if got != c.want {
			t.Errorf("%s %s matched %q, want %q", c.method, c.path, got, c.want)
		}
	}
	for _, op := range sp.ops {
		if got, _ := sp.find(op.method, op.template); got != op {
			t.Errorf("%s %s does not match itself", op.method, op.template)
		}
	}
}
