package retoolclient_test

import (
	"fmt"
	"strings"
	"testing"
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
	replace := func(path string, v any) any {
		return map[string]any{"operations": []any{map[string]any{"op": "replace", "path": path, "value": v}}}
	}
	db := map[string]any{"database_options": map[string]any{"host": "db.northwind.internal", "port": "5432"}}
	github := map[string]any{"provider": "GitHub", "org": "northwind", "repo": "apps", "default_branch": "main",
		"config": map[string]any{"type": "Personal", "personal_access_token": "sbx_pat"}}
	subject := map[string]any{"type": "user", "id": f["userId"]}
	num := func(k string) float64 { var n float64; fmt.Sscan(f[k], &n); return n }
	bodies := map[string]any{
		"POST /api/v2/users":                          map[string]any{"email": "new.person@northwind.example", "first_name": "New", "last_name": "Person"},
		"PATCH /api/v2/users/{userId}":                replace("/first_name", "Renamed"),
		"POST /api/v2/users/{userId}/user_attributes": map[string]any{"name": "department", "value": "Finance"},
		"POST /api/v2/groups":                         map[string]any{"name": "QA", "members": []any{map[string]any{"id": f["userId"], "is_group_admin": true}}},
		"PUT /api/v2/groups/{groupId}":                map[string]any{"name": "Renamed group"},
		"PATCH /api/v2/groups/{groupId}":              replace("/name", "Patched group"),
		"POST /api/v2/groups/{groupId}/members":       map[string]any{"members": []any{map[string]any{"id": f["userId"], "is_group_admin": false}}},
		"POST /api/v2/groups/{groupId}/user_invites":  map[string]any{"userInviteIds": []any{num("userInviteId")}},
		"POST /api/v2/folders":                        map[string]any{"name": "New folder", "folder_type": "app"},
		"PATCH /api/v2/folders/{folderId}":            replace("/name", "Renamed folder"),
		"POST /api/v2/spaces":                         map[string]any{"name": "Test space", "domain": "test.northwind.example"},
		"PUT /api/v2/spaces/{spaceId}":                map[string]any{"name": "Renamed space", "domain": "renamed.northwind.example"},
		"POST /api/v2/spaces/copyElements": map[string]any{"resource_ids": []any{}, "query_library_query_ids": []any{},
			"app_ids": []any{f["appId"]}, "workflow_ids": []any{}, "destination_space_id": f["spaceId"]},
		"POST /api/v2/source_control/config":                                 map[string]any{"config": github},
		"PUT /api/v2/source_control/config":                                  map[string]any{"config": github},
		"POST /api/v2/source_control/test_deploy":                            map[string]any{"deploy_params": map[string]any{"commit_sha": "0a1b2c"}},
		"PUT /api/v2/source_control/settings":                                map[string]any{"settings": map[string]any{"version_control_locked": true}},
		"POST /api/v2/app_themes":                                            map[string]any{"name": "New theme", "theme": map[string]any{"primary": "#000000"}},
		"PUT /api/v2/app_themes":                                             map[string]any{"name": "Upserted theme", "theme": map[string]any{"primary": "#FFFFFF"}},
		"POST /api/v2/apps/cloneApp":                                         map[string]any{"app_id": f["appId"], "new_app_name": "Copy of app"},
		"POST /api/v2/user_attributes":                                       map[string]any{"name": "team", "label": "Team", "dataType": "string"},
		"PATCH /api/v2/user_attributes/{id}":                                 replace("/label", "Department name"),
		"POST /api/v2/permissions/listObjects":                               map[string]any{"subject": subject, "object_type": "app"},
		"POST /api/v2/permissions/grant":                                     map[string]any{"subject": subject, "object": map[string]any{"type": "app", "id": f["appId"]}, "access_level": "use"},
		"POST /api/v2/permissions/revoke":                                    map[string]any{"subject": subject, "object": map[string]any{"type": "app", "id": f["appId"]}},
		"POST /api/v2/role_permissions/roles":                                map[string]any{"name": "Auditor", "object_scopes": []any{}, "organization_scopes": []any{}},
		"PATCH /api/v2/role_permissions/roles/{roleId}":                      map[string]any{"name": "Renamed role"},
		"POST /api/v2/role_permissions/role_grants":                          map[string]any{"role_id": f["roleId"], "subject_type": "user", "subject_id": f["userId"]},
		"POST /api/v2/role_permissions/remove_role_grants_for_subject/":      map[string]any{"role_id": f["roleId"], "subject_type": "user", "subject_id": f["userId"]},
		"PATCH /api/v2/access_requests/{accessRequestId}":                    replace("/status", "APPROVED"),
		"POST /api/v2/access_tokens":                                         map[string]any{"label": "CI", "scopes": []any{"apps:read"}},
		"POST /api/v2/user_invites":                                          map[string]any{"email": "invitee@northwind.example"},
		"POST /api/v2/user_invites/{userInviteId}/user_attributes":           map[string]any{"name": "region", "value": "EU"},
		"POST /api/v2/resources":                                             map[string]any{"type": "postgresql", "display_name": "New DB", "options": db},
		"PATCH /api/v2/resources/{resourceId}":                               replace("/display_name", "Renamed DB"),
		"POST /api/v2/resource_configurations":                               map[string]any{"resource_id": f["resourceId"], "environment_id": f["environmentId"], "options": db},
		"PATCH /api/v2/resource_configurations/{configurationId}":            replace("/options/database_options/port", "6543"),
		"POST /api/v2/environments":                                          map[string]any{"name": "qa", "color": "#00AA00"},
		"PATCH /api/v2/environments/{environmentId}":                         replace("/color", "#123456"),
		"POST /api/v2/custom_component_libraries":                            map[string]any{"name": "charts", "label": "Charts", "description": nil},
		"POST /api/v2/configuration_variables":                               map[string]any{"name": "NEW_VAR", "secret": false, "values": []any{map[string]any{"environment_id": f["environmentId"], "value": "v"}}},
		"PUT /api/v2/configuration_variables/{id}":                           map[string]any{"name": "RENAMED_VAR", "secret": true, "values": []any{}},
		"POST /api/v2/observability/config":                                  map[string]any{"config": map[string]any{"provider": "Sentry", "dsn": "https://key@sentry.example/1"}, "enabled": true},
		"PUT /api/v2/observability/config/{configId}":                        map[string]any{"enabled": false},
		"PATCH /api/v2/user_tasks/{taskId}/submit":                           map[string]any{"email": f["email"], "output": map[string]any{"approved": true}},
		"PATCH /api/v2/user_tasks/{taskId}/cancel":                           map[string]any{"email": f["email"]},
		"PATCH /api/v2/user_tasks/{taskId}/reassign":                         map[string]any{"email": f["email"], "assignees": []any{map[string]any{"type": "user", "id": f["userId"]}}},
		"PATCH /api/v2/organization/":                                        replace("/request_access_enabled", true),
		"POST /api/v2/source_control/releases/apps/{appUuid}":                map[string]any{"release_version": "1.2.0"},
		"POST /api/v2/source_control/releases/{elementUuid}":                 map[string]any{"release_version": "1.2.0"},
		"PUT /api/v2/source_control/manifests/{manifestName}/apps/{appUuid}": map[string]any{"release": "latest"},
		"PUT /api/v2/source_control/manifests/{manifestName}/{elementUuid}":  map[string]any{"release": "1.2.0"},
		"POST /api/v2/sso/config": map[string]any{"data": map[string]any{"config_type": "google", "google_client_id": "id",
			"google_client_secret": "secret", "disable_email_password_login": false}},
		"PUT /api/v2/organization/ai_settings": map[string]any{"retoolAI": false, "retoolAIActions": false, "retoolVector": false, "retoolAskAI": false},
	}
	if b, ok := bodies[key]; ok {
		return b
	}
	return map[string]any{}
}
