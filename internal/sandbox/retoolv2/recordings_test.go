package retoolv2

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The recordings are real Retool answers, recorded by Retool's own Terraform
// provider tests (../shared/retool/recordings, go-vcr cassettes). Replaying
// each cassette against a fresh sandbox proves it answers like the real API
// where the document is silent or wrong: the same status, the same envelope,
// the same fields with the same kinds of values (null where the real API says
// null). Values themselves are not compared: ids, timestamps, encrypted
// secrets and the organisation's own items differ by nature.
//
// Excluded interactions (none are skipped silently; see excluded below):
//   - none at present. Every interaction of every cassette is replayed.

// cassette is the part of a go-vcr cassette the replay needs.
type cassette struct {
	Interactions []struct {
		ID      int `yaml:"id"`
		Request struct {
			Method string `yaml:"method"`
			URL    string `yaml:"url"`
			Body   string `yaml:"body"`
		} `yaml:"request"`
		Response struct {
			Code int    `yaml:"code"`
			Body string `yaml:"body"`
		} `yaml:"response"`
	} `yaml:"interactions"`
}

// before readies the sandbox's organisation for a cassette where the recorded
// one differed before the first call: the calls to make, each answered 2xx.
var before = map[string][]string{
	// The recorded organisation had no source control configured (its first
	// PUT answers 201, creating it); the sandbox's seeded one has.
	"TestAccSourceControlTest": {"DELETE /api/v2/source_control/config"},
}

// excluded lists interactions the replay leaves out, by cassette and id, with
// the reason. Keep it empty unless the real API's answer depends on
// something no emulation can know.
var excluded = map[string]string{}

// recordingsDir finds the recordings beside the module, as
// testutil.RetoolDocumentPath finds the document: skipped outside CI when
// missing, a failure in CI.
func recordingsDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(openAPIPathNoSkip(t)), "recordings")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Retool's recorded answers are required in CI: %v", err)
		}
		t.Skipf("Retool's recorded answers are not here (%v): this test replays them", err)
	}
	return dir
}

// openAPIPathNoSkip is where the shared Retool data lives, whether or not the
// document itself is there.
func openAPIPathNoSkip(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "retool", openAPIName)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func loadCassettes(t *testing.T) map[string]*cassette {
	t.Helper()
	dir := recordingsDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cassettes in %s (%v)", dir, err)
	}
	out := map[string]*cassette{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := &cassette{}
		if err := yaml.Unmarshal(data, c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = c
	}
	return out
}

func TestRecordedInteractionsReplayAlike(t *testing.T) {
	all := loadCassettes(t)
	names := slices.Sorted(maps.Keys(all))
	known := knownItems(t, all)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s := newRetoolServer(t, 7)
			ids := newIDMap(t, s, known)
			for _, call := range before[name] {
				method, target, _ := strings.Cut(call, " ")
				if rec := hit(s, method, target, nil); rec.Code/100 != 2 {
					t.Fatalf("before the replay, %s answered %d %s", call, rec.Code, clip(rec.Body.String()))
				}
			}
			for _, it := range all[name].Interactions {
				key := fmt.Sprintf("%s#%d", name, it.ID)
				if why, skip := excluded[key]; skip {
					t.Logf("%s excluded: %s", key, why)
					continue
				}
				u, err := url.Parse(it.Request.URL)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				target := ids.path(u.Path)
				if u.RawQuery != "" {
					target += "?" + u.RawQuery
				}
				var body []byte
				if strings.TrimSpace(it.Request.Body) != "" {
					body = ids.body(t, it.Request.Body)
				}
				rec := hit(s, it.Request.Method, target, body)
				where := fmt.Sprintf("%s %s %s (recorded as %s)", key, it.Request.Method, target, u.Path)
				if rec.Code != it.Response.Code {
					t.Fatalf("%s: answered %d %s, the real API %d %s", where, rec.Code, clip(rec.Body.String()),
						it.Response.Code, clip(it.Response.Body))
				}
				if strings.TrimSpace(it.Response.Body) == "" {
					if rec.Body.Len() != 0 {
						t.Errorf("%s: answered a body %s where the real API sent none", where, clip(rec.Body.String()))
					}
					continue
				}
				var want, got any
				if err := json.Unmarshal([]byte(it.Response.Body), &want); err != nil {
					t.Fatalf("%s: recorded body: %v", key, err)
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatalf("%s: answered %q, not JSON: %v", where, clip(rec.Body.String()), err)
				}
				// Lists the organisation holds (a GET of a collection) differ in
				// length between the two organisations; every other list (a
				// group's members, the permissions a grant answers) must not.
				orgList := it.Request.Method == "GET" && isList(want)
				for _, d := range sameShape("body", want, got, false, !orgList) {
					t.Errorf("%s: %s\n  sandbox: %s\n  real:    %s", where, d, clip(rec.Body.String()), clip(it.Response.Body))
				}
				ids.learn(want, got)
			}
		})
	}
}

// sameShape lists where got differs in shape from want: a field the real API
// sends that the sandbox lacks or sends with another kind of value, a field
// the sandbox adds, or a null where the real API sent a value (and back).
// Inside lists of the organisation's items (loose), nullness is not compared:
// the sandbox's seeded items are not the recorded organisation's.
func sameShape(at string, want, got any, loose, lengths bool) []string {
	if want == nil || got == nil {
		if want == nil && got == nil || loose {
			return nil
		}
		return []string{fmt.Sprintf("%s: %s where the real API has %s", at, kind(got), kind(want))}
	}
	if kind(want) != kind(got) {
		return []string{fmt.Sprintf("%s: %s where the real API has %s", at, kind(got), kind(want))}
	}
	var out []string
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if _, ok := g[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", at, k))
				continue
			}
			out = append(out, sameShape(at+"."+k, w[k], g[k], loose, lengths)...)
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: not sent by the real API", at, k))
			}
		}
	case []any:
		g := got.([]any)
		if lengths && len(w) != len(g) {
			out = append(out, fmt.Sprintf("%s: %d items where the real API has %d", at, len(g), len(w)))
		}
		if len(w) > 0 && len(g) > 0 {
			out = append(out, sameShape(at+"[]", w[0], g[0], loose || len(w) > 1, lengths)...)
		}
	}
	return out
}

// isList reports whether an answer's data is a list.
func isList(body any) bool {
	m, _ := body.(map[string]any)
	_, ok := m["data"].([]any)
	return ok
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
