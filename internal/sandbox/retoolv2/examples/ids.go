package examples

import (
	"fmt"
	"strconv"
	"testing"
)

// IDs names an item of the organisation for each path parameter the conformance tests
// fill ("userId", "groupId", "appId", ...), read from its own lists: list returns the data
// of a list answer (GET path); a list with nothing that fits fails the test. Items are chosen so that the calls made with them work: a
// group with members, a folder that is not a system folder, a role that is not a
// default, a pending task, a grant to a user.
func IDs(t testing.TB, list func(path string) []map[string]any) map[string]string {
	t.Helper()
	first := func(path string, ok func(map[string]any) bool) map[string]any {
		for _, it := range list(path) {
			if ok == nil || ok(it) {
				return it
			}
		}
		t.Fatalf("GET %s: nothing fits", path)
		return nil
	}
	id := func(m map[string]any) string { return ID(m["id"]) }
	f := map[string]string{}
	user := first("/api/v2/users", nil)
	f["userId"], f["email"] = id(user), fmt.Sprint(user["email"])
	group := first("/api/v2/groups", func(g map[string]any) bool { return len(g["members"].([]any)) > 0 })
	f["groupId"] = id(group)
	f["userSid"] = ID(group["members"].([]any)[0].(map[string]any)["id"])
	f["folderId"] = id(first("/api/v2/folders", func(m map[string]any) bool { return m["is_system_folder"] == false }))
	f["spaceId"] = id(first("/api/v2/spaces", nil))
	app := first("/api/v2/apps", nil)
	f["appId"], f["appName"] = id(app), fmt.Sprint(app["name"])
	for param, path := range map[string]string{
		"environmentId":   "/api/v2/environments",
		"resourceId":      "/api/v2/resources",
		"configurationId": "/api/v2/resource_configurations",
		"variableId":      "/api/v2/configuration_variables",
		"attributeId":     "/api/v2/user_attributes",
		"themeId":         "/api/v2/app_themes",
		"accessRequestId": "/api/v2/access_requests",
		"accessTokenId":   "/api/v2/access_tokens",
		"userInviteId":    "/api/v2/user_invites",
		"libraryId":       "/api/v2/custom_component_libraries?libraryId=x",
		"configId":        "/api/v2/observability/config",
		"workflowId":      "/api/v2/workflows",
	} {
		f[param] = id(first(path, nil))
	}
	f["revisionId"] = id(first("/api/v2/custom_component_libraries/"+f["libraryId"]+"/revisions", nil))
	f["roleId"] = id(first("/api/v2/role_permissions/roles", func(m map[string]any) bool { return m["is_default_role"] == false }))
	f["taskId"] = id(first("/api/v2/user_tasks", func(m map[string]any) bool { return m["status"] == "pending" }))
	f["subjectId"] = ID(first("/api/v2/role_permissions/role_grants", UserGrant)["subject_id"])
	return f
}

// UserGrant picks a role grant to a user.
func UserGrant(m map[string]any) bool { return m["subject_type"] == "user" }

// ID is an item's id as it goes in a path: JSON numbers without an exponent or a
// fraction, strings as they are.
func ID(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
