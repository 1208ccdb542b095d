package problem

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// slugInCode finds string literals that name a problem type where the code answers one:
// writeProblem(w, r, status, "slug", ...), problem.New(status, "slug", ...) and
// problemType("slug").
var slugInCode = regexp.MustCompile(`(?:writeProblem\([^"]*|problem\.New\([^"]*|problemType\()"([a-z][a-z-]*)"`)

func TestEveryProblemTypeTheCodeAnswersIsCatalogued(t *testing.T) {
	root := filepath.Join("..", "..")
	found := 0
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range slugInCode.FindAllStringSubmatch(string(b), -1) {
				found++
				if slug := m[1]; !Known(slug) && !strings.HasSuffix(slug, "-") {
					t.Errorf("%s answers problem type %q, which is not in problem.Catalogue (internal/problem/types.go): add a row there and in docs/http-api.md", path, slug)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found < 15 {
		t.Fatalf("found only %d problem types in the code; is the pattern broken?", found)
	}
	seen := map[Kind]bool{}
	for _, e := range Catalogue {
		if seen[e.Slug] {
			t.Errorf("%s is catalogued twice", e.Slug)
		}
		seen[e.Slug] = true
	}
}
