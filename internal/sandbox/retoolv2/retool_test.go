package retoolv2

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/oas"

	"github.com/budgetgw/gateway/internal/sandbox/crud"

	"github.com/budgetgw/gateway/internal/sandbox/retoolv2/examples"
)

// newRetoolServer is the emulation of the organisation seed makes, on a
// fixed clock. Tests call it directly: the key, scope and budget checks are
// the sandbox core's, tested there.
func newRetoolServer(t testing.TB, seed int64) *API {
	t.Helper()
	s, err := New(seed, func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// decoded reads a JSON answer.
func decoded(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer %d %q is not a JSON object: %v", rec.Code, clip(rec.Body.String()), err)
	}
	return m
}

// listed returns the data list of a list answer.
func listed(t testing.TB, s *API, target string) []map[string]any {
	t.Helper()
	rec := hit(s, "GET", target, nil)
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", target, rec.Code, clip(rec.Body.String()))
	}
	var out []map[string]any
	for _, e := range decoded(t, rec)["data"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// fixture holds ids taken from the seeded organisation's own lists, for the
// path parameters and bodies of the calls below.
type fixture map[string]string

func newFixture(t testing.TB, s *API) fixture {
	t.Helper()
	return fixture(examples.IDs(t, func(target string) []map[string]any { return listed(t, s, target) }))
}

// target fills a template's parameters from the fixture.
func (f fixture) target(template string) string {
	byPrefix := map[string]string{
		"/api/v2/configuration_variables/": "variableId", "/api/v2/app_themes/": "themeId",
		"/api/v2/user_attributes/": "attributeId",
	}
	parts := strings.Split(template, "/")
	for i, p := range parts {
		name, ok := oas.ParamName(p)
		if !ok {
			continue
		}
		prefix := strings.Join(parts[:i], "/") + "/"
		v, known := f[name]
		switch {
		case byPrefix[prefix] != "":
			v = f[byPrefix[prefix]]
		case name == "id" || name == "elementUuid" || name == "appUuid" || name == "objectId":
			v = f["appId"]
		case !known:
			v = map[string]string{"attributeName": "department", "manifestName": "main", "objectType": "app",
				"subjectType": "user", "provider": "Datadog", "roleGrantId": f["grantId"]}[name]
		}
		parts[i] = url.PathEscape(v)
	}
	return strings.Join(parts, "/")
}

// query is what each operation needs in its query string.
func (f fixture) query(template string) string {
	q := map[string]string{
		"/api/v2/usage":                      "start_date=2025-01-01",
		"/api/v2/usage/app_summary":          "start_date=2025-01-01",
		"/api/v2/usage/user_summary":         "start_date=2025-01-01",
		"/api/v2/usage/app_details":          "start_date=2025-01-01&app_name=" + url.QueryEscape(f["appName"]),
		"/api/v2/usage/user_details":         "start_date=2025-01-01&email=" + url.QueryEscape(f["email"]),
		"/api/v2/custom_component_libraries": "libraryId=" + f["libraryId"],
		"/api/v2/users/{userId}":             "includeGroups=true",
	}[template]
	if strings.Contains(template, "{elementUuid}") {
		q = "elementType=PAGE"
	}
	return q
}

// body is a valid request body for key, or nil: other operations with a JSON body get
// one made up from the schema.
func (f fixture) body(key string) any {
	b, _ := examples.Body(key, f)
	return b
}

// TestEveryOperationAnswersAsDocumented calls each of the document's 144
// operations on a freshly seeded organisation, with ids from its lists, and
// validates the answer against the document with kin-openapi: a listed
// success status and a body valid for its schema.
func TestEveryOperationAnswersAsDocumented(t *testing.T) {
	v := newDocValidator(t)
	s := newRetoolServer(t, 1)
	f := newFixture(t, s)
	ops := docOps(t)
	if len(ops) != 144 {
		t.Fatalf("the document has %d operations, want 144", len(ops))
	}
	sp, _ := loadSpec()
	for _, o := range ops {
		key := o.method + " " + o.template
		t.Run(key, func(t *testing.T) {
			s.Reset()
			if key == "POST /api/v2/source_control/config" {
				hit(s, "DELETE", "/api/v2/source_control/config", nil) // it exists: a second one is a 409
			}
			if key == "DELETE /api/v2/groups/{groupId}/user_invites/{userInviteId}" {
				hit(s, "POST", f.target("/api/v2/groups/{groupId}/user_invites"), mustJSON(t, f.body("POST /api/v2/groups/{groupId}/user_invites")))
			}
			if strings.Contains(key, "role_grants/{roleGrantId}") {
				rec := hit(s, "POST", "/api/v2/role_permissions/role_grants", mustJSON(t, f.body("POST /api/v2/role_permissions/role_grants")))
				f["grantId"] = listedGrant(t, s, rec)
			}
			target := f.target(o.template)
			if q := f.query(o.template); q != "" {
				target += "?" + q
			}
			var body []byte
			if b := f.body(key); b != nil {
				body = mustJSON(t, b)
			} else if op, _ := sp.Find(o.method, o.template); op != nil && op.Body != nil {
				body = mustJSON(t, oas.NewFaker(7, nil, northwind).Value(op.Body, ""))
			}
			rec := hit(s, o.method, target, body)
			if rec.Code < 200 || rec.Code > 299 {
				t.Fatalf("%s %s: %d %s (sent %s)", o.method, target, rec.Code, clip(rec.Body.String()), body)
			}
			if err := v.check(o.method, o.template, target, rec, false); err != nil {
				t.Fatal(err)
			}
			if o.method == "GET" && rec.Code == 200 && rec.Body.Len() > 0 {
				if data, isList := decoded(t, rec)["data"].([]any); isList && len(data) == 0 {
					t.Errorf("GET %s listed nothing: the seeded organisation should fill every list", target)
				}
			}
		})
	}
}

func listedGrant(t *testing.T, s *API, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Code != http.StatusCreated {
		t.Fatalf("creating a role grant: %d %s", rec.Code, rec.Body.String())
	}
	grants := listed(t, s, "/api/v2/role_permissions/role_grants")
	return crud.ID(grants[len(grants)-1]["id"])
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
