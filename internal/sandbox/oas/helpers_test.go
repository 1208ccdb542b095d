package oas

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The richest data file there is, Retool's (before the sandbox's corrections
// from its recordings), is the fixture: the engine is proved on a real
// document, not on a toy one shaped to pass.
var retoolSpec = sync.OnceValues(func() (*Spec, error) {
	data, err := os.ReadFile(filepath.Join("..", "retoolv2", "retool-v2.json"))
	if err != nil {
		return nil, err
	}
	w, err := ReadWire(data)
	if err != nil {
		return nil, err
	}
	return Decode(w)
})

func loadSpec(t *testing.T) *Spec {
	t.Helper()
	sp, err := retoolSpec()
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func mustOp(t *testing.T, method, template string) *Operation {
	t.Helper()
	for _, op := range loadSpec(t).Ops {
		if op.Method == method && op.Template == template {
			return op
		}
	}
	t.Fatalf("no operation %s %s", method, template)
	return nil
}

// testVocabulary is a small organisation: enough words for every hint.
var testVocabulary = &Vocabulary{
	Domain: "acme.example", Host: "acme.example", Slug: "acme", Repo: "apps", Epoch: 1704067200,
	FirstNames: []string{"Ada", "Alan"}, LastNames: []string{"Lovelace", "Turing"},
	Names: []string{"Console"}, Descriptions: []string{"A tool."},
}
