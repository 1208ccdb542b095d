package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

func TestDerivedOperations(t *testing.T) {
	doc, err := readDoc(openAPIDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	d, err := deriveSandbox(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Operations) != 144 {
		t.Fatalf("%d operations, want the document's 144", len(d.Operations))
	}
	byKey := map[string]oas.WireOp{}
	for _, op := range d.Operations {
		byKey[op.Method+" "+op.Path] = op
	}
	if _, ok := byKey["GET /api/v2/access_tokens/{accessTokenId}"]; !ok {
		t.Error("the colon parameter was not rewritten to braces")
	}
	if op := byKey["DELETE /api/v2/users/{userId}"]; op.Responses["204"] != oas.NoBody {
		t.Errorf("DELETE user responses %v, want 204 without a body", op.Responses)
	}
	if op := byKey["GET /api/v2/usage"]; !strings.Contains(strings.Join(op.Query, ","), "start_date!") {
		t.Errorf("GET /usage query %v, want start_date marked required", op.Query)
	}
	if op := byKey["POST /api/v2/custom_component_libraries/{libraryId}/revisions"]; op.Body != nil {
		t.Error("a multipart body was kept as a JSON schema")
	}
}

func TestUnknownKeywordsAreRefused(t *testing.T) {
	for _, s := range []string{
		`{"type":"object","allOf":[{"type":"object"}]}`,
		`{"$ref":"#/components/schemas/user"}`,
		`{"type":"array","items":{"type":"string"},"minItems":1}`,
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		if _, err := newInterner().intern(m, "x"); err == nil {
			t.Errorf("%s: interned without a decision on the keyword", s)
		}
	}
}

func TestEqualSchemasAreStoredOnce(t *testing.T) {
	in := newInterner()
	a, _ := in.intern(map[string]any{"type": "string", "description": "one"}, "a")
	b, _ := in.intern(map[string]any{"type": "string", "description": "two"}, "b")
	obj, _ := in.intern(map[string]any{"type": "object", "properties": map[string]any{
		"x": map[string]any{"type": "string"},
	}}, "c")
	if a != b || len(in.nodes) != 2 || in.nodes[obj].Properties["x"] != a {
		t.Fatalf("a=%d b=%d nodes=%+v", a, b, in.nodes)
	}
}
