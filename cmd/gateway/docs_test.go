package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/metrics"
	"github.com/budgetgw/gateway/internal/problem"
)

// The docs' reference tables are checked against the code, row by row: every config key
// (the yaml tags of config.Config), every metric (the registry), every problem type (the
// catalogue) and every CLI command (the command table). Engineers add rows in parallel,
// so each failure names the file, the section, the row missing or extra, and the row to
// add.

// docRow is one table row: its cells, the section it is in and its line.
type docRow struct {
	cells   []string
	section string
	line    int
}

// docTable reads the tables of file under the "## " heading starting with section
// (every section when ""), keyed by the first backticked name in the first cell.
func docTable(t *testing.T, file, section string) map[string]docRow {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", file))
	if err != nil {
		t.Fatalf("%s: %v (the reference docs live in docs/)", file, err)
	}
	defer f.Close()
	rows := map[string]docRow{}
	heading, n := "", 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			heading = line
			continue
		}
		if !strings.HasPrefix(line, "|") || (section != "" && !strings.HasPrefix(heading, "## "+section)) {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		name := firstCode(cells[0])
		if name == "" {
			continue // the header and the --- row
		}
		if prev, dup := rows[name]; dup {
			t.Errorf("%s:%d: `%s` has a second row (first at line %d)", file, n, name, prev.line)
		}
		rows[name] = docRow{cells: cells, section: heading, line: n}
	}
	return rows
}

var code = regexp.MustCompile("`([^`]+)`")

func firstCode(cell string) string {
	if m := code.FindStringSubmatch(cell); m != nil {
		return m[1]
	}
	return ""
}

func allCode(cell string) []string {
	var out []string
	for _, m := range code.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// compare reports names the code has and the docs lack, and the reverse.
func compare(t *testing.T, file, section string, rows map[string]docRow, want []string, rowFor func(string) string) {
	t.Helper()
	for _, name := range want {
		if _, ok := rows[name]; !ok {
			t.Errorf("%s, section %q: no row for `%s`. Add:\n  %s", file, "## "+section, name, rowFor(name))
		}
	}
	for name, r := range rows {
		if !slices.Contains(want, name) {
			t.Errorf("%s:%d: the row for `%s` documents something the code does not have; remove it or fix the name", file, r.line, name)
		}
	}
}

func TestTheConfigurationReferenceListsEveryKey(t *testing.T) {
	paths := config.KeyPaths()
	var leaves []string
	for _, p := range paths {
		if !slices.ContainsFunc(paths, func(q string) bool { return strings.HasPrefix(q, p+".") }) {
			leaves = append(leaves, p)
		}
	}
	compare(t, "docs/configuration.md", "Every key", docTable(t, "docs/configuration.md", "Every key"), leaves,
		func(k string) string { return fmt.Sprintf("| `%s` | <default> | <what it does> |", k) })
}

func TestTheMetricsTableListsEveryMetricWithItsLabels(t *testing.T) {
	rows := docTable(t, "docs/operations.md", "Metrics")
	var names []string
	for _, m := range metrics.Catalogue() {
		names = append(names, m.Name)
		if r, ok := rows[m.Name]; ok && len(r.cells) > 1 {
			got, want := allCode(r.cells[1]), slices.Clone(m.Labels)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("docs/operations.md:%d: `%s` lists labels %v; the code has %v", r.line, m.Name, got, want)
			}
		}
	}
	compare(t, "docs/operations.md", "Metrics", rows, names, func(n string) string {
		for _, m := range metrics.Catalogue() {
			if m.Name == n {
				return fmt.Sprintf("| `%s` | `%s` | %s |", n, strings.Join(m.Labels, "`, `"), m.Help)
			}
		}
		return ""
	})
}

func TestTheProblemTypesTableIsTheCatalogue(t *testing.T) {
	rows := docTable(t, "docs/http-api.md", "Problem types")
	var slugs []string
	for _, e := range problem.Catalogue {
		slugs = append(slugs, string(e.Slug))
		if r, ok := rows[string(e.Slug)]; ok && (len(r.cells) < 2 || r.cells[1] != fmt.Sprint(e.Status)) {
			t.Errorf("docs/http-api.md:%d: `%s` is documented with status %v; the code answers %d", r.line, e.Slug, r.cells[1:2], e.Status)
		}
	}
	compare(t, "docs/http-api.md", "Problem types", rows, slugs, func(s string) string {
		for _, e := range problem.Catalogue {
			if string(e.Slug) == s {
				return fmt.Sprintf("| `%s` | %d | %s |", s, e.Status, e.When)
			}
		}
		return ""
	})
}

func TestTheCommandTableIsTheCLI(t *testing.T) {
	var names []string
	for _, c := range commands {
		names = append(names, "gateway "+c.name)
	}
	// A row names a command followed by its arguments: key it by the longest command.
	rows := map[string]docRow{}
	for k, r := range docTable(t, "docs/operations.md", "Commands") {
		best := k
		for _, n := range names {
			if (k == n || strings.HasPrefix(k, n+" ")) && (best == k || len(n) > len(best)) {
				best = n
			}
		}
		rows[best] = r
	}
	compare(t, "docs/operations.md", "Commands", rows, names, func(n string) string {
		for _, c := range commands {
			if "gateway "+c.name == n {
				return fmt.Sprintf("| `%s %s` | %s |", n, c.args, c.summary)
			}
		}
		return ""
	})
}

// The production configuration in docs/configuration.md is complete: a newcomer can copy
// it, and config check accepts it.
func TestTheProductionConfigurationInTheDocsIsValid(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## A production configuration")
	if !ok {
		t.Fatal("docs/configuration.md has no section \"## A production configuration\"")
	}
	_, block, ok := strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatal("the production configuration section has no ```yaml block")
	}
	block, _, _ = strings.Cut(block, "```")
	if _, err := config.Parse(strings.NewReader(block)); err != nil {
		t.Fatalf("the production configuration in docs/configuration.md is not valid:\n%v", err)
	}
}

// The README is the first screen: short, with the two commands and a link to every doc.
func TestTheReadmeIsAFirstScreenThatLinksEveryDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if n := strings.Count(readme, "\n"); n > 160 {
		t.Errorf("README.md has %d lines; keep it under ~150 and move reference to docs/", n)
	}
	for _, want := range []string{"go run ./cmd/gateway demo", "make test"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
	docs, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	for _, d := range docs {
		if link := "docs/" + filepath.Base(d); !strings.Contains(readme, "("+link+")") {
			t.Errorf("README.md does not link %s", link)
		}
	}
}
