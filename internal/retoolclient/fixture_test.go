package retoolclient_test

import (
	"fmt"
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
	first := func(path string, ok func(map[string]any) bool) map[string]any {
		for _, it := range list(path) {
			if ok == nil || ok(it) {
				return it
			}
		}
		t.Fatalf("GET %s: nothing fits", path)
		return nil
	}
	id := func(m map[string]any) string { return idString(m["id"]) }
	f := fixture{}
	user := first("/api/v2/users", nil)
	f["userId"], f["email"] = id(user), user["email"].(string)
	group := first("/api/v2/groups", func(g map[string]any) bool { return len(g["members"].([]any)) > 0 })
	f["groupId"] = id(group)
	f["userSid"] = idString(group["members"].([]any)[0].(map[string]any)["id"])
	f["folderId"] = id(first("/api/v2/folders", func(m map[string]any) bool { return m["is_system_folder"] == false }))
	f["spaceId"] = id(first("/api/v2/spaces", nil))
	app := first("/api/v2/apps", nil)
	f["appId"], f["appName"] = id(app), app["name"].(string)
	f["environmentId"] = id(first("/api/v2/environments", nil))
	f["resourceId"] = id(first("/api/v2/resources", nil))
	f["configurationId"] = id(first("/api/v2/resource_configurations", nil))
	f["variableId"] = id(first("/api/v2/configuration_variables", nil))
	f["attributeId"] = id(first("/api/v2/user_attributes", nil))
	f["themeId"] = id(first("/api/v2/app_themes", nil))
	f["accessRequestId"] = id(first("/api/v2/access_requests", nil))
	f["accessTokenId"] = id(first("/api/v2/access_tokens", nil))
	f["userInviteId"] = id(first("/api/v2/user_invites", nil))
	f["libraryId"] = id(first("/api/v2/custom_component_libraries?libraryId=x", nil))
	f["revisionId"] = id(first("/api/v2/custom_component_libraries/"+f["libraryId"]+"/revisions", nil))
	f["configId"] = id(first("/api/v2/observability/config", nil))
	f["roleId"] = id(first("/api/v2/role_permissions/roles", func(m map[string]any) bool { return m["is_default_role"] == false }))
	f["taskId"] = id(first("/api/v2/user_tasks", func(m map[string]any) bool { return m["status"] == "pending" }))
	f["workflowId"] = id(first("/api/v2/workflows", nil))
	grant := first("/api/v2/role_permissions/role_grants", func(m map[string]any) bool { return m["subject_type"] == "user" })
	f["subjectId"] = idString(grant["subject_id"])
	f["grantId"] = id(grant)
	return f
}

func idString(v any) string {
	if n, ok := v.(float64); ok {
		return fmt.Sprint(int64(n))
	}
	return fmt.Sprint(v)
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
