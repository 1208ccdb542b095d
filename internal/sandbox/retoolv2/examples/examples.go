// Package examples holds a valid request body for each Retool API v2 operation
// that needs one written by hand, naming the ids of the sandbox's seeded
// organisation. The conformance tests of the sandbox (retoolv2) and of the
// generated client (retoolclient) share it; the emulation itself never reads
// it. It must never be imported outside tests, and never hold a credential
// that works anywhere: every token and secret here is a placeholder.
package examples

import "fmt"

// Body is a valid request body for the operation key ("POST /api/v2/groups"),
// naming the ids of an organisation's own items (ids: "userId", "groupId", "appId", ...,
// as tests read them from its lists). Made-up bodies from the schema would name ids that
// do not exist, which the emulation refuses as Retool does; the conformance tests of the
// sandbox and of the generated client share these. ok is false for an operation with no
// example: a body made from its schema will do.
func Body(key string, ids map[string]string) (body any, ok bool) {
	replace := func(path string, v any) any {
		return map[string]any{"operations": []any{map[string]any{"op": "replace", "path": path, "value": v}}}
	}
	db := map[string]any{"database_options": map[string]any{"host": "db.northwind.internal", "port": "5432"}}
	github := map[string]any{"provider": "GitHub", "org": "northwind", "repo": "apps", "default_branch": "main",
		"config": map[string]any{"type": "Personal", "personal_access_token": "sbx_pat"}}
	subject := map[string]any{"type": "user", "id": ids["userId"]}
	num := func(k string) float64 { var n float64; fmt.Sscan(ids[k], &n); return n }
	body, ok = map[string]any{
		"POST /api/v2/users":                          map[string]any{"email": "new.person@northwind.example", "first_name": "New", "last_name": "Person"},
		"PATCH /api/v2/users/{userId}":                replace("/first_name", "Renamed"),
		"POST /api/v2/users/{userId}/user_attributes": map[string]any{"name": "department", "value": "Finance"},
		"POST /api/v2/groups":                         map[string]any{"name": "QA", "members": []any{map[string]any{"id": ids["userId"], "is_group_admin": true}}},
		"PUT /api/v2/groups/{groupId}":                map[string]any{"name": "Renamed group"},
		"PATCH /api/v2/groups/{groupId}":              replace("/name", "Patched group"),
		"POST /api/v2/groups/{groupId}/members":       map[string]any{"members": []any{map[string]any{"id": ids["userId"], "is_group_admin": false}}},
		"POST /api/v2/groups/{groupId}/user_invites":  map[string]any{"userInviteIds": []any{num("userInviteId")}},
		"POST /api/v2/folders":                        map[string]any{"name": "New folder", "folder_type": "app"},
		"PATCH /api/v2/folders/{folderId}":            replace("/name", "Renamed folder"),
		"POST /api/v2/spaces":                         map[string]any{"name": "Test space", "domain": "test.northwind.example"},
		"PUT /api/v2/spaces/{spaceId}":                map[string]any{"name": "Renamed space", "domain": "renamed.northwind.example"},
		"POST /api/v2/spaces/copyElements": map[string]any{"resource_ids": []any{}, "query_library_query_ids": []any{},
			"app_ids": []any{ids["appId"]}, "workflow_ids": []any{}, "destination_space_id": ids["spaceId"]},
		"POST /api/v2/source_control/config":                                 map[string]any{"config": github},
		"PUT /api/v2/source_control/config":                                  map[string]any{"config": github},
		"POST /api/v2/source_control/test_deploy":                            map[string]any{"deploy_params": map[string]any{"commit_sha": "0a1b2c"}},
		"PUT /api/v2/source_control/settings":                                map[string]any{"settings": map[string]any{"version_control_locked": true}},
		"POST /api/v2/app_themes":                                            map[string]any{"name": "New theme", "theme": map[string]any{"primary": "#000000"}},
		"PUT /api/v2/app_themes":                                             map[string]any{"name": "Upserted theme", "theme": map[string]any{"primary": "#FFFFFF"}},
		"POST /api/v2/apps/cloneApp":                                         map[string]any{"app_id": ids["appId"], "new_app_name": "Copy of app"},
		"POST /api/v2/user_attributes":                                       map[string]any{"name": "team", "label": "Team", "dataType": "string"},
		"PATCH /api/v2/user_attributes/{id}":                                 replace("/label", "Department name"),
		"POST /api/v2/permissions/listObjects":                               map[string]any{"subject": subject, "object_type": "app"},
		"POST /api/v2/permissions/grant":                                     map[string]any{"subject": subject, "object": map[string]any{"type": "app", "id": ids["appId"]}, "access_level": "use"},
		"POST /api/v2/permissions/revoke":                                    map[string]any{"subject": subject, "object": map[string]any{"type": "app", "id": ids["appId"]}},
		"POST /api/v2/role_permissions/roles":                                map[string]any{"name": "Auditor", "object_scopes": []any{}, "organization_scopes": []any{}},
		"PATCH /api/v2/role_permissions/roles/{roleId}":                      map[string]any{"name": "Renamed role"},
		"POST /api/v2/role_permissions/role_grants":                          map[string]any{"role_id": ids["roleId"], "subject_type": "user", "subject_id": ids["userId"]},
		"POST /api/v2/role_permissions/remove_role_grants_for_subject/":      map[string]any{"role_id": ids["roleId"], "subject_type": "user", "subject_id": ids["userId"]},
		"PATCH /api/v2/access_requests/{accessRequestId}":                    replace("/status", "APPROVED"),
		"POST /api/v2/access_tokens":                                         map[string]any{"label": "CI", "scopes": []any{"apps:read"}},
		"POST /api/v2/user_invites":                                          map[string]any{"email": "invitee@northwind.example"},
		"POST /api/v2/user_invites/{userInviteId}/user_attributes":           map[string]any{"name": "region", "value": "EU"},
		"POST /api/v2/resources":                                             map[string]any{"type": "postgresql", "display_name": "New DB", "options": db},
		"PATCH /api/v2/resources/{resourceId}":                               replace("/display_name", "Renamed DB"),
		"POST /api/v2/resource_configurations":                               map[string]any{"resource_id": ids["resourceId"], "environment_id": ids["environmentId"], "options": db},
		"PATCH /api/v2/resource_configurations/{configurationId}":            replace("/options/database_options/port", "6543"),
		"POST /api/v2/environments":                                          map[string]any{"name": "qa", "color": "#00AA00"},
		"PATCH /api/v2/environments/{environmentId}":                         replace("/color", "#123456"),
		"POST /api/v2/custom_component_libraries":                            map[string]any{"name": "charts", "label": "Charts", "description": nil},
		"POST /api/v2/configuration_variables":                               map[string]any{"name": "NEW_VAR", "secret": false, "values": []any{map[string]any{"environment_id": ids["environmentId"], "value": "v"}}},
		"PUT /api/v2/configuration_variables/{id}":                           map[string]any{"name": "RENAMED_VAR", "secret": true, "values": []any{}},
		"POST /api/v2/observability/config":                                  map[string]any{"config": map[string]any{"provider": "Sentry", "dsn": "https://key@sentry.example/1"}, "enabled": true},
		"PUT /api/v2/observability/config/{configId}":                        map[string]any{"enabled": false},
		"PATCH /api/v2/user_tasks/{taskId}/submit":                           map[string]any{"email": ids["email"], "output": map[string]any{"approved": true}},
		"PATCH /api/v2/user_tasks/{taskId}/cancel":                           map[string]any{"email": ids["email"]},
		"PATCH /api/v2/user_tasks/{taskId}/reassign":                         map[string]any{"email": ids["email"], "assignees": []any{map[string]any{"type": "user", "id": ids["userId"]}}},
		"PATCH /api/v2/organization/":                                        replace("/request_access_enabled", true),
		"POST /api/v2/source_control/releases/apps/{appUuid}":                map[string]any{"release_version": "1.2.0"},
		"POST /api/v2/source_control/releases/{elementUuid}":                 map[string]any{"release_version": "1.2.0"},
		"PUT /api/v2/source_control/manifests/{manifestName}/apps/{appUuid}": map[string]any{"release": "latest"},
		"PUT /api/v2/source_control/manifests/{manifestName}/{elementUuid}":  map[string]any{"release": "1.2.0"},
		"POST /api/v2/sso/config": map[string]any{"data": map[string]any{"config_type": "google", "google_client_id": "id",
			"google_client_secret": "secret", "disable_email_password_login": false}},
		"PUT /api/v2/organization/ai_settings": map[string]any{"retoolAI": false, "retoolAIActions": false, "retoolVector": false, "retoolAskAI": false},
	}[key]
	return body, ok
}
