package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedFilesAreCurrent fails when a generated file was edited by hand
// or an emitter changed without regenerating it.
func TestCommittedFilesAreCurrent(t *testing.T) {
	doc := openAPIDoc(t)
	for _, c := range []struct{ emit, file, pkg string }{
		{"routes", "internal/routes/profiles/retool-v2.yaml", "./internal/routes"},
		{"sandbox", "internal/sandbox/retoolv2/retool-v2.json", "./internal/sandbox/retoolv2"},
	} {
		want, err := readAndEmit(doc, emitters[c.emit])
		if err != nil {
			t.Fatalf("-emit %s: %v", c.emit, err)
		}
		got, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(c.file)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate %s", c.file, c.pkg)
		}
	}
}

func TestRunRefusesAnUnknownEmitter(t *testing.T) {
	if err := run([]string{"-emit", "client", "-in", "x.json"}, nil); err == nil {
		t.Fatal("an unknown -emit was accepted")
	}
}
