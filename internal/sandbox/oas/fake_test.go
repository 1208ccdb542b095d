package oas

import "testing"

func TestConformKeepsWhatFits(t *testing.T) {
	f := NewFaker(1, nil, testVocabulary)
	read := mustOp(t, "GET", "/api/v2/users/{userId}").Responses[200]
	if d := read.Property("data"); d != nil {
		read = d
	}
	user := read.FirstObject()
	got := f.Conform(user, map[string]any{"email": "kept@northwind.example", "first_name": "", "surplus": 1.0}, "").(map[string]any)
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

func TestTheSameSeedMakesTheSameValues(t *testing.T) {
	user := mustOp(t, "POST", "/api/v2/users").Body
	a := NewFaker(3, nil, testVocabulary).Value(user, "")
	b := NewFaker(3, nil, testVocabulary).Value(user, "")
	if err := user.Check(a); err != nil {
		t.Fatalf("made-up body invalid: %v", err)
	}
	if !jsonEqual(a, b) {
		t.Fatalf("one seed made two bodies:\n%v\n%v", a, b)
	}
}

func TestPatternsComeFromTheVocabulary(t *testing.T) {
	f := NewFaker(1, nil, testVocabulary)
	if got := f.Matching(`^\d+$`, "count"); got == "" {
		t.Fatal("no fallback string")
	}
	v := &Vocabulary{Patterns: map[string]func(*Faker, string) string{`^\d+$`: func(*Faker, string) string { return "42" }}}
	if got := NewFaker(1, nil, v).Matching(`^\d+$`, "count"); got != "42" {
		t.Fatalf("the vocabulary's generator was not used: %q", got)
	}
}
