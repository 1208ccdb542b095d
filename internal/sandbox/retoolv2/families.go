package retoolv2

import (
	"net/http"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/oas"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// families lists what the sandbox keeps, where the document serves each,
// and the hooks where a family differs from plain create-read-update-delete.
func families() []*family {
	return []*family{
		{Name: "users", Noun: "User", List: "/api/v2/users", Item: "/api/v2/users/{userId}",
			Prepare: prepareUser, OnDelete: dropMemberships},
		{Name: "groups", Noun: "Group", List: "/api/v2/groups", Item: "/api/v2/groups/{groupId}",
			Prepare: prepareGroup, Normalize: resolveMembers, View: viewGroup},
		{Name: "folders", Noun: "Folder", List: "/api/v2/folders", Item: "/api/v2/folders/{folderId}",
			Unique: [][]string{{"name", "parent_folder_id", "folder_type"}}, Prepare: prepareFolder,
			Normalize: checkFolderParent, CanDelete: notSystemFolder, OnDelete: dropFolderContents},
		{Name: "apps", Noun: "App", List: "/api/v2/apps", Item: "/api/v2/apps/{appId}"},
		{Name: "spaces", Noun: "Space", List: "/api/v2/spaces", Item: "/api/v2/spaces/{spaceId}"},
		{Name: "environments", Noun: "Environment", List: "/api/v2/environments", Item: "/api/v2/environments/{environmentId}",
			Unique: [][]string{{"name"}}, Prepare: prepareEnvironment, OnDelete: dropConfigurations("environment")},
		{Name: "resources", Noun: "Resource", List: "/api/v2/resources", Item: "/api/v2/resources/{resourceId}",
			Filters: map[string]string{"resource_type": "type"}, Prepare: prepareResource, OnDelete: dropConfigurations("resource")},
		{Name: "resource_configurations", Noun: "Resource configuration",
			List: "/api/v2/resource_configurations", Item: "/api/v2/resource_configurations/{configurationId}",
			Filters: map[string]string{"resource_type": "resource.type", "resource_id": "resource.id", "environment_id": "environment.id"},
			Prepare: prepareResourceConfiguration, Normalize: defaultAuthentication, View: viewResourceConfiguration},
		{Name: "configuration_variables", Noun: "Configuration variable",
			List: "/api/v2/configuration_variables", Item: "/api/v2/configuration_variables/{id}",
			Normalize: checkVariableEnvironments},
		{Name: "user_attributes", Noun: "User attribute", List: "/api/v2/user_attributes", Item: "/api/v2/user_attributes/{id}",
			Unique: [][]string{{"name"}}, Prepare: prepareAttribute},
		{Name: "user_invites", Noun: "User invite", List: "/api/v2/user_invites", Item: "/api/v2/user_invites/{userInviteId}",
			Prepare: prepareInvite},
		{Name: "app_themes", Noun: "App theme", List: "/api/v2/app_themes", Item: "/api/v2/app_themes/{id}",
			Unique: [][]string{{"name"}}, Prepare: prepareTheme},
		{Name: "access_requests", Noun: "Access request", List: "/api/v2/access_requests", Item: "/api/v2/access_requests/{accessRequestId}"},
		{Name: "access_tokens", Noun: "Access token", List: "/api/v2/access_tokens", Item: "/api/v2/access_tokens/{accessTokenId}",
			Prepare: prepareToken, View: hideSecret},
		{Name: "custom_component_libraries", Noun: "Custom component library",
			List: "/api/v2/custom_component_libraries", Item: "/api/v2/custom_component_libraries/{libraryId}",
			Unique: [][]string{{"id"}, {"name"}}},
		{Name: "revisions", Noun: "Revision", List: "/api/v2/custom_component_libraries/{libraryId}/revisions",
			Parent: "libraryId", ParentFamily: "custom_component_libraries", ParentField: "custom_component_library_id",
			Unique: [][]string{{"version"}}, Prepare: prepareRevision},
		{Name: "observability", Noun: "Observability configuration",
			List: "/api/v2/observability/config", Item: "/api/v2/observability/config/{configId}"},
		{Name: "roles", Noun: "Role", List: "/api/v2/role_permissions/roles", Item: "/api/v2/role_permissions/roles/{roleId}",
			Unique: [][]string{{"name"}}, Prepare: prepareRole, CanDelete: notDefaultRole},
		{Name: "role_grants", Noun: "Role grant", List: "/api/v2/role_permissions/role_grants",
			Item: "/api/v2/role_permissions/role_grants/{roleGrantId}", Prepare: prepareGrant,
			Unshown: true}, // the document never shows them (see listGrants)
		{Name: "user_tasks", Noun: "User task", List: "/api/v2/user_tasks",
			Filters: map[string]string{"statuses": "status", "workflow_ids": "workflow_id"}},
		{Name: "workflows", Noun: "Workflow", List: "/api/v2/workflows", Item: "/api/v2/workflows/{workflowId}"},
		{Name: "analytics_integrations", Noun: "Analytics integration", List: "/api/v2/organization/analytics_integrations"},
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
	for _, g := range a.store.Items["groups"] {
		members, _ := g["members"].([]any)
		kept := []any{}
		for _, m := range members {
			if mm, _ := m.(map[string]any); crud.ID(mm["id"]) != crud.ID(u["id"]) {
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
		id := crud.ID(mm["id"])
		u, ok := a.store.ByID("users", id)
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
		if now, ok := a.store.ByID("user_invites", crud.ID(inv.(map[string]any)["id"])); ok {
			current = append(current, now)
		}
	}
	v["user_invites"] = current
	members, _ := g["members"].([]any)
	shown := make([]any, 0, len(members))
	for _, m := range members {
		mm := shallowCopy(m.(map[string]any))
		if u, ok := a.store.ByID("users", crud.ID(mm["id"])); ok {
			mm["email"] = u["email"]
		}
		shown = append(shown, mm)
	}
	v["members"] = shown
	return v
}

// prepareInvite fills an invitation from the body's email and group ids.
func prepareInvite(a *retool, c *apiCall, inv map[string]any) *answer {
	inv["invited_email"] = c.Body["email"]
	ids, _ := c.Body["defaultGroupIds"].([]any)
	groups := []any{}
	for _, id := range ids {
		g, ok := a.store.ByID("groups", crud.ID(id))
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
	for _, u := range a.store.Items["users"] {
		if u["is_admin"] == true {
			return u["email"]
		}
	}
	return "admin@" + orgDomain
}

func (a *retool) adminLegacyID() any {
	for _, u := range a.store.Items["users"] {
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
	if _, ok := a.store.ByID("roles", crud.ID(c.Body["role_id"])); !ok {
		return failure(http.StatusBadRequest, "Role "+crud.ID(c.Body["role_id"])+" does not exist")
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
