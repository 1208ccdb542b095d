package retoolv2

import (
	"net/http"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// families lists what the sandbox keeps, where the document serves each,
// and the hooks where a family differs from plain create-read-update-delete.
func families() []*family {
	return []*family{
		{name: "users", noun: "User", list: "/api/v2/users", item: "/api/v2/users/{userId}",
			prepare: prepareUser, onDelete: dropMemberships},
		{name: "groups", noun: "Group", list: "/api/v2/groups", item: "/api/v2/groups/{groupId}",
			prepare: prepareGroup, normalize: resolveMembers, view: viewGroup},
		{name: "folders", noun: "Folder", list: "/api/v2/folders", item: "/api/v2/folders/{folderId}",
			unique: [][]string{{"name", "parent_folder_id", "folder_type"}}, prepare: prepareFolder,
			normalize: checkFolderParent, canDelete: notSystemFolder, onDelete: dropFolderContents},
		{name: "apps", noun: "App", list: "/api/v2/apps", item: "/api/v2/apps/{appId}"},
		{name: "spaces", noun: "Space", list: "/api/v2/spaces", item: "/api/v2/spaces/{spaceId}"},
		{name: "environments", noun: "Environment", list: "/api/v2/environments", item: "/api/v2/environments/{environmentId}",
			unique: [][]string{{"name"}}, prepare: prepareEnvironment, onDelete: dropConfigurations("environment")},
		{name: "resources", noun: "Resource", list: "/api/v2/resources", item: "/api/v2/resources/{resourceId}",
			filters: map[string]string{"resource_type": "type"}, prepare: prepareResource, onDelete: dropConfigurations("resource")},
		{name: "resource_configurations", noun: "Resource configuration",
			list: "/api/v2/resource_configurations", item: "/api/v2/resource_configurations/{configurationId}",
			filters: map[string]string{"resource_type": "resource.type", "resource_id": "resource.id", "environment_id": "environment.id"},
			prepare: prepareResourceConfiguration, normalize: defaultAuthentication, view: viewResourceConfiguration},
		{name: "configuration_variables", noun: "Configuration variable",
			list: "/api/v2/configuration_variables", item: "/api/v2/configuration_variables/{id}",
			normalize: checkVariableEnvironments},
		{name: "user_attributes", noun: "User attribute", list: "/api/v2/user_attributes", item: "/api/v2/user_attributes/{id}",
			unique: [][]string{{"name"}}, prepare: prepareAttribute},
		{name: "user_invites", noun: "User invite", list: "/api/v2/user_invites", item: "/api/v2/user_invites/{userInviteId}",
			prepare: prepareInvite},
		{name: "app_themes", noun: "App theme", list: "/api/v2/app_themes", item: "/api/v2/app_themes/{id}",
			unique: [][]string{{"name"}}, prepare: prepareTheme},
		{name: "access_requests", noun: "Access request", list: "/api/v2/access_requests", item: "/api/v2/access_requests/{accessRequestId}"},
		{name: "access_tokens", noun: "Access token", list: "/api/v2/access_tokens", item: "/api/v2/access_tokens/{accessTokenId}",
			prepare: prepareToken, view: hideSecret},
		{name: "custom_component_libraries", noun: "Custom component library",
			list: "/api/v2/custom_component_libraries", item: "/api/v2/custom_component_libraries/{libraryId}",
			unique: [][]string{{"id"}, {"name"}}},
		{name: "revisions", noun: "Revision", list: "/api/v2/custom_component_libraries/{libraryId}/revisions",
			parent: "libraryId", parentFamily: "custom_component_libraries", parentField: "custom_component_library_id",
			unique: [][]string{{"version"}}, prepare: prepareRevision},
		{name: "observability", noun: "Observability configuration",
			list: "/api/v2/observability/config", item: "/api/v2/observability/config/{configId}"},
		{name: "roles", noun: "Role", list: "/api/v2/role_permissions/roles", item: "/api/v2/role_permissions/roles/{roleId}",
			unique: [][]string{{"name"}}, prepare: prepareRole, canDelete: notDefaultRole},
		{name: "role_grants", noun: "Role grant", list: "/api/v2/role_permissions/role_grants",
			item: "/api/v2/role_permissions/role_grants/{roleGrantId}", prepare: prepareGrant},
		{name: "user_tasks", noun: "User task", list: "/api/v2/user_tasks",
			filters: map[string]string{"statuses": "status", "workflow_ids": "workflow_id"}},
		{name: "workflows", noun: "Workflow", list: "/api/v2/workflows", item: "/api/v2/workflows/{workflowId}"},
		{name: "analytics_integrations", noun: "Analytics integration", list: "/api/v2/organization/analytics_integrations"},
	}
}

// setDefaults fills fields the body left out.
func setDefaults(item map[string]any, defaults map[string]any) {
	for k, v := range defaults {
		if _, ok := item[k]; !ok {
			item[k] = v
		}
	}
}

// prepareTheme drops the ids a create body carries: the document's body
// schema is the whole theme, ids included, but the server assigns them.
func prepareTheme(_ *retool, _ *apiCall, t map[string]any) *answer {
	delete(t, "id")
	return nil
}

func prepareUser(_ *retool, _ *apiCall, u map[string]any) *answer {
	setDefaults(u, map[string]any{
		"active": true, "user_type": "default", "is_admin": false, "two_factor_auth_enabled": false,
		"last_active": nil, "metadata": map[string]any{},
	})
	return nil
}

// dropMemberships takes a deleted user out of every group.
func dropMemberships(a *retool, u map[string]any) {
	for _, g := range a.stores["groups"] {
		members, _ := g["members"].([]any)
		kept := []any{}
		for _, m := range members {
			if mm, _ := m.(map[string]any); idString(mm["id"]) != idString(u["id"]) {
				kept = append(kept, m)
			}
		}
		g["members"] = kept
	}
}

func prepareGroup(_ *retool, _ *apiCall, g map[string]any) *answer {
	g["user_invites"] = []any{} // invites join a group through their own endpoint
	setDefaults(g, map[string]any{
		"members": []any{}, "universal_app_access": "none", "universal_resource_access": "none",
		"universal_workflow_access": "none", "universal_query_library_access": "none",
		"user_list_access": false, "audit_log_access": false, "unpublished_release_access": false,
		"usage_analytics_access": false, "theme_access": false, "account_details_access": false,
		"landing_page_app_id": nil,
	})
	return nil
}

// resolveMembers checks a group's members are users and fills in their
// emails, which callers do not send.
func resolveMembers(a *retool, g map[string]any) *answer {
	members, _ := g["members"].([]any)
	out := make([]any, 0, len(members))
	seen := map[string]bool{}
	for _, m := range members {
		mm, _ := m.(map[string]any)
		id := idString(mm["id"])
		u, ok := a.byID("users", id)
		if !ok {
			return unknownReference("User", id)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		admin, _ := mm["is_group_admin"].(bool)
		out = append(out, map[string]any{"id": u["id"], "email": u["email"], "is_group_admin": admin})
	}
	g["members"] = out
	return nil
}

// viewGroup shows members with their current emails, and the invitations
// that still exist as they are now.
func viewGroup(a *retool, g map[string]any) map[string]any {
	v := shallowCopy(g)
	invites, _ := g["user_invites"].([]any)
	current := []any{}
	for _, inv := range invites {
		if now, ok := a.byID("user_invites", idString(inv.(map[string]any)["id"])); ok {
			current = append(current, now)
		}
	}
	v["user_invites"] = current
	members, _ := g["members"].([]any)
	shown := make([]any, 0, len(members))
	for _, m := range members {
		mm := shallowCopy(m.(map[string]any))
		if u, ok := a.byID("users", idString(mm["id"])); ok {
			mm["email"] = u["email"]
		}
		shown = append(shown, mm)
	}
	v["members"] = shown
	return v
}

// prepareInvite fills an invitation from the body's email and group ids.
func prepareInvite(a *retool, c *apiCall, inv map[string]any) *answer {
	inv["invited_email"] = c.body["email"]
	ids, _ := c.body["defaultGroupIds"].([]any)
	groups := []any{}
	for _, id := range ids {
		g, ok := a.byID("groups", idString(id))
		if !ok {
			return unknownReference("Group", id)
		}
		groups = append(groups, map[string]any{"id": g["id"], "legacy_id": g["legacy_id"], "name": g["name"]})
	}
	inv["groups"] = groups
	setDefaults(inv, map[string]any{
		"invited_by": a.adminEmail(), "expires_at": oas.Stamp(a.now().Add(7 * 24 * time.Hour)),
		"claimed_by": nil, "claimed_at": nil, "user_type": "default", "metadata": map[string]any{},
		"invite_link": "https://" + orgHost + "/invite/" + a.fake.Hex(12),
	})
	return nil
}

// adminEmail is who the organisation's API token acts for.
func (a *retool) adminEmail() any {
	for _, u := range a.stores["users"] {
		if u["is_admin"] == true {
			return u["email"]
		}
	}
	return "admin@" + orgDomain
}

func (a *retool) adminLegacyID() any {
	for _, u := range a.stores["users"] {
		if u["is_admin"] == true {
			return u["legacy_id"]
		}
	}
	return float64(1)
}

// prepareToken mints the token's secret. It is kept only to be shown once,
// in the creation's answer (see createAccessToken); views hide it.
func prepareToken(a *retool, _ *apiCall, t map[string]any) *answer {
	secret := "retool_" + a.fake.Hex(16)
	t["access_token"] = secret
	t["last4"] = secret[len(secret)-4:]
	t["owner_legacy_id"] = a.adminLegacyID()
	setDefaults(t, map[string]any{"description": nil})
	return nil
}

func hideSecret(_ *retool, t map[string]any) map[string]any {
	v := shallowCopy(t)
	delete(v, "access_token")
	return v
}

func prepareRole(a *retool, _ *apiCall, r map[string]any) *answer {
	setDefaults(r, map[string]any{
		"organization_id": a.orgID(), "description": "", "is_default_role": false, "is_legacy_role": false,
		"added_dependent_scopes": []any{},
	})
	return nil
}

func notDefaultRole(r map[string]any) *answer {
	if r["is_default_role"] == true {
		return failure(http.StatusBadRequest, "Cannot delete default role.")
	}
	return nil
}

// prepareGrant checks the role exists: the document's 400 for a bad body.
func prepareGrant(a *retool, c *apiCall, g map[string]any) *answer {
	if _, ok := a.byID("roles", idString(c.body["role_id"])); !ok {
		return failure(http.StatusBadRequest, "Role "+idString(c.body["role_id"])+" does not exist")
	}
	return nil
}

func (a *retool) orgID() any {
	if org := a.single["organization"]; org != nil {
		return org["id"]
	}
	return "org_northwind"
}

func shallowCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
