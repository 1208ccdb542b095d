package routes

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/testutil"
)

// This test checks the retool-v2 profile against Retool's own document, with
// a mapping written independently of the generator's, so a mistake in either
// shows up as a disagreement.

const openAPIFile = "openapi-2.12.0.json"

// Retool's published points per call, by path family.
var retoolCosts = map[string]int64{
	"apps": 2, "folders": 2, "users": 2,
	"access_requests": 5, "app_themes": 5, "environments": 5, "groups": 5, "resources": 5,
	"resource_configurations": 5, "source_control": 5, "spaces": 5, "sso": 5,
	"user_attributes": 5, "user_invites": 5,
	"permissions": 10,
}

const retoolUnpublishedCost = 10

// docFamily turns the document's family wording into ours: lower case,
// spaces to underscores, and these exceptions.
func docFamily(f string) string {
	switch f {
	case "CustomComponent":
		return "custom_components"
	case "Environment":
		return "environments"
	case "Organizations":
		return "organization"
	}
	return strings.ReplaceAll(strings.ToLower(f), " ", "_")
}

func docScope(phrase, method string) string {
	if rest, ok := strings.CutPrefix(phrase, "Source control > Releases ("); ok {
		return "source_control_releases:" + strings.ToLower(strings.TrimSuffix(rest, ")"))
	}
	fam, lvl, ok := strings.Cut(phrase, " > ")
	if !ok {
		lvl = "Write"
		if method == "GET" {
			lvl = "Read"
		}
	}
	return docFamily(fam) + ":" + strings.ReplaceAll(strings.ToLower(lvl), " ", "_")
}

var (
	docRequirement = regexp.MustCompile(`must have (either )?the (.+?) scope`)
	docPhrase      = regexp.MustCompile(`["']([^"']+)["']`)
	docParam       = regexp.MustCompile(`\{[^}/]+\}|:[A-Za-z]+`)
)

// expectedScopes lists what the description allows; an empty list means it
// states nothing and the path family's scope applies.
func expectedScopes(desc, method string) []string {
	m := docRequirement.FindStringSubmatch(desc)
	if m == nil {
		return nil
	}
	var out []string
	for _, p := range docPhrase.FindAllStringSubmatch(m[2], -1) {
		out = append(out, docScope(p[1], method))
	}
	return out
}

func openAPIPath(t *testing.T) string { return testutil.RetoolDocumentPath(t) }

func TestRetoolProfileCoversTheOpenAPIDocument(t *testing.T) {
	data, err := os.ReadFile(openAPIPath(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	tab := builtTable(t, "retool-v2")
	count := 0
	for docPath, ops := range doc.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			count++
			t.Run(method+" "+docPath, func(t *testing.T) {
				request := "/api/v2" + docParam.ReplaceAllString(docPath, "abc123")
				r, ok := tab.Match(method, request)
				if !ok {
					t.Fatalf("%s %s is not routed", method, request)
				}
				if want := "/api/v2" + docParam.ReplaceAllStringFunc(docPath, braced); r.Template != want {
					t.Errorf("routed to %s, want %s", r.Template, want)
				}
				family := strings.Split(strings.TrimPrefix(docPath, "/"), "/")[0]
				if r.Family != family {
					t.Errorf("family %s, want %s", r.Family, family)
				}
				want, published := retoolCosts[family]
				if !published {
					want = retoolUnpublishedCost
				}
				if r.Cost != want {
					t.Errorf("cost %d, want %d", r.Cost, want)
				}
				if r.Sensitive {
					// Its own scope, reviewed in docs/sensitive-routes.md: only that grant allows it.
					if !r.Scope.Exact {
						t.Errorf("sensitive, but %s is granted by wildcards", r.Scope)
					}
					return
				}
				allowed := expectedScopes(op.Description, method)
				if len(allowed) == 0 {
					level := "write"
					if method == "GET" {
						level = "read"
					}
					allowed = []string{family + ":" + level}
				}
				if !contains(allowed, r.Scope.String()) {
					t.Errorf("requires %s, the document allows %v", r.Scope, allowed)
				}
			})
		}
	}
	metered := 0 // public rows (the health probe) are outside the document
	for _, r := range tab.Routes() {
		if !r.Public {
			metered++
		}
	}
	if count != 144 || metered != 144 {
		t.Fatalf("the document has %d operations and the profile %d metered routes, want 144 each", count, metered)
	}
}

func braced(param string) string {
	if name, ok := strings.CutPrefix(param, ":"); ok {
		return "{" + name + "}"
	}
	return param
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
