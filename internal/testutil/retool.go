package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// RetoolDocumentPath finds Retool's published OpenAPI document in the shared reference
// data beside the module (../shared/retool/). Without it the test skips with a message,
// except in CI (CI=true), where it must be there. It is test data: never copied in.
func RetoolDocumentPath(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "retool", "openapi-2.12.0.json")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Retool's OpenAPI document is required in CI: %v", err)
		}
		t.Skipf("Retool's OpenAPI document is not here (%v): this test checks against it", err)
	}
	return p
}
