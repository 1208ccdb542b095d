package retoolclient_test

import (
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/sandbox/retoolv2/examples"
)

// fixture holds ids taken from the seeded organisation's own lists, for the
// path parameters, queries and bodies of the calls.
type fixture map[string]string

func newFixture(t *testing.T, st *stack) fixture {
	t.Helper()
	list := func(path string) []map[string]any {
		var out []map[string]any
		for _, e := range st.call(t, "GET", path, nil)["data"].([]any) {
			out = append(out, e.(map[string]any))
		}
		return out
	}
	f := fixture(examples.IDs(t, list))
	for _, g := range list("/api/v2/role_permissions/role_grants") {
		if examples.UserGrant(g) {
			f["grantId"] = examples.ID(g["id"])
			break
		}
	}
	return f
}

// prepare readies the organisation for one operation, where the seeded one
// would refuse it.
func (f fixture) prepare(t *testing.T, st *stack, key string) {
	t.Helper()
	switch key {
	case "POST /api/v2/source_control/config":
		st.call(t, "DELETE", "/api/v2/source_control/config", nil) // configured: a second one is a 409
	case "DELETE /api/v2/groups/{groupId}/user_invites/{userInviteId}":
		st.call(t, "POST", "/api/v2/groups/"+f["groupId"]+"/user_invites", f.body("POST /api/v2/groups/{groupId}/user_invites"))
	}
}

// pathParams are the values for a template's parameters, in order.
func (f fixture) pathParams(template string) []string {
	byPrefix := map[string]string{
		"/api/v2/configuration_variables/": "variableId", "/api/v2/app_themes/": "themeId",
		"/api/v2/user_attributes/": "attributeId",
	}
	var out []string
	parts := strings.Split(template, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, "{") {
			continue
		}
		name := strings.Trim(p, "{}")
		prefix := strings.Join(parts[:i], "/") + "/"
		v, known := f[name]
		switch {
		case byPrefix[prefix] != "":
			v = f[byPrefix[prefix]]
		case name == "id" || name == "elementUuid" || name == "appUuid" || name == "objectId":
			v = f["appId"]
		case name == "roleGrantId":
			v = f["grantId"]
		case !known:
			v = map[string]string{"attributeName": "department", "manifestName": "main", "objectType": "app",
				"subjectType": "user", "provider": "Datadog"}[name]
		}
		out = append(out, v)
	}
	return out
}

// query is what each operation needs in its query string, as the JSON of
// the generated parameters type.
func (f fixture) query(template string) map[string]any {
	if strings.Contains(template, "{elementUuid}") {
		return map[string]any{"elementType": "PAGE"}
	}
	return map[string]map[string]any{
		"/api/v2/usage":                      {"start_date": "2025-01-01"},
		"/api/v2/usage/app_summary":          {"start_date": "2025-01-01"},
		"/api/v2/usage/user_summary":         {"start_date": "2025-01-01"},
		"/api/v2/usage/app_details":          {"start_date": "2025-01-01", "app_name": f["appName"]},
		"/api/v2/usage/user_details":         {"start_date": "2025-01-01", "email": f["email"]},
		"/api/v2/custom_component_libraries": {"libraryId": f["libraryId"]},
		"/api/v2/users/{userId}":             {"includeGroups": true},
	}[template]
}

// body is a valid request body for an operation, or {} where it takes none
// the test needs to fill.
func (f fixture) body(key string) any {
	if b, ok := examples.Body(key, f); ok {
		return b
	}
	return map[string]any{}
}
