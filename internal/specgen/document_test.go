package main

import (
	"os"
	"testing"

	"github.com/budgetgw/gateway/internal/testutil"
)

// openAPIDoc reads Retool's document from ../shared/retool beside the module
// root. Without it the test is skipped, except in CI, where it must be there.
func openAPIDoc(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(testutil.RetoolDocumentPath(t))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestTheReaderKeepsEveryOperationInOrder(t *testing.T) {
	d, err := readDoc(openAPIDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.version != "2.12.0" || len(d.ops) != 144 {
		t.Fatalf("version %q, %d operations; want 2.12.0 and 144", d.version, len(d.ops))
	}
	for i := 1; i < len(d.ops); i++ {
		a, b := d.ops[i-1], d.ops[i]
		if a.path > b.path || a.path == b.path && a.method >= b.method {
			t.Fatalf("%s %s before %s %s", a.method, a.path, b.method, b.path)
		}
	}
}
