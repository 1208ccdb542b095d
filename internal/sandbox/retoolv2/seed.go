package retoolv2

import (
	"fmt"
	"strings"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/oas"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// seedOrganisation fills the state with Northwind Trading: dozens of users,
// groups with members, a folder tree with apps, environments, resources and
// their configurations, and a few of everything else, so every list has
// something in it. Everything is drawn from the seed, so one seed always
// makes the same organisation.
func (a *retool) seedOrganisation() {
	envs := a.seedEnvironments()
	users := a.seedUsers()
	a.seedGroups(users)
	folders := a.seedFolders()
	a.seedApps(folders["app"])
	for _, sp := range [][2]string{{"EU Operations", "eu." + orgHost}, {"Partner Portal", "partners." + orgHost}} {
		a.seedItem("spaces", map[string]any{"name": sp[0], "domain": sp[1]})
	}
	a.seedResources(folders["resource"], envs)
	a.seedSettings(envs)
	a.seedPeople(users)
	a.seedGrants(users)
	a.seedWorkflows(folders["workflow"])
	a.seedSingles()
}

// seedItem stores a seeded item: like a create, with a made-up past.
func (a *retool) seedItem(famName string, item map[string]any) map[string]any {
	fam := a.store.Family(famName)
	if _, ok := item["created_at"]; !ok && fam.Knows("created_at") {
		item["created_at"] = oas.Stamp(a.fake.When())
	}
	if _, ok := item["updated_at"]; !ok && fam.Knows("updated_at") {
		item["updated_at"] = item["created_at"]
	}
	a.store.StampNew(fam, item)
	if fam.Normalize != nil {
		fam.Normalize(a, item)
	}
	a.store.Complete(fam, item)
	a.store.Items[famName] = append(a.store.Items[famName], item)
	return item
}

func (a *retool) seedEnvironments() []map[string]any {
	var out []map[string]any
	for _, e := range seedEnvironments {
		out = append(out, a.seedItem("environments", map[string]any{
			"name": e.name, "color": e.color, "default": e.isDefault,
			"description": "The " + e.name + " environment",
		}))
	}
	return out
}

func (a *retool) seedUsers() []map[string]any {
	firsts, lasts := a.rng.Perm(len(firstNames)), a.rng.Perm(len(lastNames))
	departments := []string{"Support", "Finance", "Engineering", "Operations", "Sales"}
	var out []map[string]any
	for i := range firsts {
		first, last := firstNames[firsts[i]], lastNames[lasts[i]]
		u := map[string]any{
			"email": northwind.Email(first, last), "first_name": first, "last_name": last,
			"is_admin": i < 4, "active": i%9 != 8, "user_type": "default",
			"two_factor_auth_enabled": a.rng.IntN(2) == 0,
			"last_active":             oas.Stamp(time.Unix(fakeEpoch-int64(a.rng.IntN(30*24*3600)), 0)),
			"metadata":                map[string]any{"department": departments[i%len(departments)]},
		}
		switch {
		case i%9 == 8:
			u["last_active"] = nil // deactivated before ever coming back
		case i%12 == 5:
			u["user_type"] = "mobile"
		}
		prepareUser(a, nil, u)
		out = append(out, a.seedItem("users", u))
	}
	return out
}

func (a *retool) seedGroups(users []map[string]any) {
	member := func(u map[string]any, admin bool) any {
		return map[string]any{"id": u["id"], "is_group_admin": admin}
	}
	builtIn := []struct {
		name, access string
		members      func(i int, u map[string]any) bool
	}{
		{"admin", "own", func(_ int, u map[string]any) bool { return u["is_admin"] == true }},
		{"editor", "edit", func(i int, _ map[string]any) bool { return i%3 == 0 }},
		{"viewer", "use", func(i int, _ map[string]any) bool { return i%3 == 1 }},
		{"All Users", "none", func(int, map[string]any) bool { return true }},
	}
	for _, b := range builtIn {
		var members []any
		for i, u := range users {
			if b.members(i, u) {
				members = append(members, member(u, false))
			}
		}
		a.seedGroup(b.name, b.access, members)
	}
	levels := []string{"none", "use", "edit", "own"}
	for _, name := range groupNames {
		var members []any
		for j, k := range a.rng.Perm(len(users))[:3+a.rng.IntN(6)] {
			members = append(members, member(users[k], j == 0))
		}
		a.seedGroup(name, pick(a.rng, levels), members)
	}
}

func (a *retool) seedGroup(name, access string, members []any) {
	g := map[string]any{
		"name": name, "members": append([]any{}, members...), "universal_app_access": access,
		"universal_resource_access": access, "universal_workflow_access": access,
		"universal_query_library_access": strings.Replace(access, "own", "edit", 1),
	}
	prepareGroup(a, nil, g)
	for _, k := range []string{"user_list_access", "audit_log_access", "theme_access", "account_details_access"} {
		g[k] = access == "own"
	}
	a.seedItem("groups", g)
}

// seedFolders makes each type's system root and the named folders under it,
// answering the folder ids by type.
func (a *retool) seedFolders() map[string][]any {
	ids := map[string][]any{}
	folder := func(typ, name string, parent any, system bool) {
		f := map[string]any{
			"id": fmt.Sprintf("%s_%d", typ, a.folderNumber()), "name": name, "folder_type": typ,
			"parent_folder_id": parent, "is_system_folder": system,
		}
		f["legacy_id"] = f["id"]
		a.seedItem("folders", f)
		ids[typ] = append(ids[typ], f["id"])
	}
	for _, typ := range []string{"app", "workflow", "resource", "agent", "library"} {
		folder(typ, "root", nil, true)
	}
	for _, name := range appFolders {
		folder("app", name, rootFolder(a, "app"), false)
	}
	for _, typ := range []string{"workflow", "resource"} {
		for _, name := range otherFolders[typ] {
			folder(typ, name, rootFolder(a, typ), false)
		}
	}
	return ids
}

func (a *retool) seedApps(folders []any) {
	for i, name := range appNames {
		app := map[string]any{
			"name": name, "folder_id": pick(a.rng, folders), "description": pick(a.rng, descriptions),
			"protected": i%5 == 0, "synced": false, "shortlink": nil, "is_module": i%10 == 9,
			"is_mobile_app": i%13 == 6, "release_version": fmt.Sprintf("1.%d.%d", a.rng.IntN(8), a.rng.IntN(10)),
		}
		if i%4 == 0 {
			app["shortlink"] = strings.ToLower(strings.ReplaceAll(name, " ", "-"))
		}
		a.seedItem("apps", app)
	}
}

func (a *retool) seedResources(folders []any, envs []map[string]any) {
	for i, r := range seedResources {
		res := a.seedItem("resources", map[string]any{
			"type": r[0], "display_name": r[1], "folder_id": folders[1+i%(len(folders)-1)], "protected": i == 0,
		})
		if !strings.Contains("postgresql mysql redshift", r[0]) {
			continue
		}
		slug := strings.ToLower(strings.ReplaceAll(r[1], " ", "-"))
		for _, e := range envs {
			a.seedItem("resource_configurations", map[string]any{
				"resource": map[string]any{"id": res["id"]}, "environment": map[string]any{"id": e["id"]},
				"options": map[string]any{"database_options": map[string]any{
					"host": fmt.Sprintf("%s.%s.northwind.internal", e["name"], slug), "port": "5432",
					"name": strings.ReplaceAll(slug, "-", "_"), "username": "retool", "password": "sbx_" + a.fake.Hex(8),
				}},
			})
		}
	}
}

func (a *retool) seedSettings(envs []map[string]any) {
	for _, name := range seedVariables {
		var values []any
		for _, e := range envs {
			values = append(values, map[string]any{"environment_id": e["id"],
				"value": fmt.Sprintf("%s-%s", strings.ToLower(name), e["name"])})
		}
		a.seedItem("configuration_variables", map[string]any{
			"name": name, "secret": strings.HasSuffix(name, "TOKEN"), "values": values,
		})
	}
	for _, at := range seedAttributes {
		a.seedItem("user_attributes", map[string]any{
			"name": at[0], "label": strings.ToUpper(at[0][:1]) + strings.ReplaceAll(at[0][1:], "_", " "),
			"data_type": at[1], "default_value": nil, "intercom_attribute_name": nil,
		})
	}
	for _, t := range [][2]string{{"Northwind Light", "#3C92DC"}, {"Northwind Dark", "#1F2937"}} {
		a.seedItem("app_themes", map[string]any{"name": t[0], "theme": map[string]any{
			"primary": t[1], "canvas": "#F5F5F5", "fontFamily": "Inter",
		}})
	}
	lib := a.seedItem("custom_component_libraries", map[string]any{
		"name": "northwind-components", "label": "Northwind Components", "description": "Maps and order cards",
	})
	for _, v := range []string{"1.0.0", "1.1.0"} {
		a.seedItem("revisions", map[string]any{"version": v, "custom_component_library_id": lib["id"]})
	}
	a.seedItem("observability", map[string]any{"enabled": true,
		"config": map[string]any{"provider": "Datadog", "api_key": "sbx_" + a.fake.Hex(12), "site": "US1"}})
	a.seedItem("analytics_integrations", map[string]any{"type": "google", "measurement_id": "G-NW2024", "enabled": true})
	for i, r := range []string{"Admin", "Editor", "Viewer", "Support Lead"} {
		a.seedItem("roles", map[string]any{"name": r, "description": r + " role", "organization_id": a.orgID(),
			"is_default_role": i < 3, "is_legacy_role": false, "added_dependent_scopes": []any{}})
	}
}

// seedGrants gives the custom role to a group and a user.
func (a *retool) seedGrants(users []map[string]any) {
	role := a.store.Items["roles"][3]
	for _, subject := range [][2]any{{"group", a.store.Items["groups"][4]["id"]}, {"user", users[1]["id"]}} {
		a.seedItem("role_grants", map[string]any{"role_id": role["id"], "subject_type": subject[0],
			"subject_id": crud.ID(subject[1])})
	}
}

var inviteEmails = []string{"jordan.ellis", "sam.okafor", "priya.raman", "lee.fontaine"}

func (a *retool) seedPeople(users []map[string]any) {
	for i, local := range inviteEmails {
		groups := []any{}
		g := a.store.Items["groups"][4+i%len(groupNames)]
		if i%2 == 0 {
			groups = append(groups, map[string]any{"id": g["id"], "legacy_id": g["legacy_id"], "name": g["name"]})
		}
		inv := a.seedItem("user_invites", map[string]any{
			"invited_email": local + "@" + orgDomain, "invited_by": users[0]["email"], "groups": groups,
			"expires_at": oas.Stamp(time.Unix(fakeEpoch, 0).Add(time.Duration(i) * 24 * time.Hour)),
			"claimed_by": nil, "claimed_at": nil, "user_type": "default", "metadata": map[string]any{},
			"invite_link": "https://" + orgHost + "/invite/" + a.fake.Hex(12),
		})
		if i%2 == 0 {
			g["user_invites"] = append(g["user_invites"].([]any), map[string]any{"id": inv["id"]})
		}
	}
	for i, st := range []string{"PENDING", "PENDING", "APPROVED", "DENIED"} {
		req := map[string]any{"status": st, "requesting_email": users[5+i]["email"], "updated_by_id": nil}
		if st != "PENDING" {
			req["updated_by_id"] = users[0]["id"]
		}
		a.seedItem("access_requests", req)
	}
	for _, t := range [][2]string{{"Budget gateway", "Shared by internal services"}, {"Terraform", "Infrastructure as code"}} {
		tok := map[string]any{"label": t[0], "description": t[1], "scopes": []any{"users:read", "groups:write"}}
		prepareToken(a, nil, tok)
		delete(tok, "access_token") // minted long ago: nobody can see it any more
		a.seedItem("access_tokens", tok)
	}
}

func (a *retool) seedWorkflows(folders []any) {
	var flows []map[string]any
	for i, name := range seedWorkflows {
		flows = append(flows, a.seedItem("workflows", map[string]any{
			"name": name, "description": pick(a.rng, descriptions), "folder_id": crud.ID(pick(a.rng, folders)),
			"is_enabled": i != 3, "protected": false, "timezone": "UTC",
		}))
	}
	support := a.store.Items["groups"][4]
	for i, st := range []string{"pending", "pending", "pending", "submitted"} {
		wf := flows[i%2]
		task := map[string]any{
			"workflow_id": wf["id"], "workflow_name": wf["name"], "status": st,
			"task_name": "Approve refund #" + fmt.Sprint(1040+i), "context": map[string]any{"order_id": 1040 + i},
			"assignees":    []any{map[string]any{"type": "group", "id": support["id"], "name": support["name"]}},
			"completed_at": nil, "expires_at": nil,
		}
		if st == "submitted" {
			task["completed_at"] = oas.Stamp(a.fake.When())
			task["output"] = map[string]any{"approved": true}
		}
		a.seedItem("user_tasks", task)
	}
}

// seedSingles sets the one-of-a-kind settings, each valid for the schema
// that reads it back.
func (a *retool) seedSingles() {
	set := func(key, readOp string, partial map[string]any) {
		op, _ := a.spec.Find("GET", readOp)
		s := itemSchema(op.Responses[op.Success()]).FirstObject()
		a.single[key] = a.fake.Conform(s, partial, "").(map[string]any)
	}
	set("organization", "/api/v2/organization/", map[string]any{
		"id": "org_" + a.fake.Hex(6), "two_factor_auth_required": false, "two_factor_auth_type": nil,
		"javascript_links": []any{}, "preloaded_css": nil, "preloaded_javascript": nil,
	})
	set("ai_settings", "/api/v2/organization/ai_settings", map[string]any{
		"retoolAI": true, "retoolAIActions": false, "retoolVector": true, "retoolAskAI": true,
	})
	set("source_control_settings", "/api/v2/source_control/settings", map[string]any{
		"auto_branch_naming_enabled": true, "custom_pull_request_template_enabled": false,
		"custom_pull_request_template": "", "version_control_locked": false, "force_uuid_mapping": false,
		"auto_cleanup_branches_enabled": true,
	})
	set("source_control_config", "/api/v2/source_control/config", map[string]any{
		"provider": "GitHub", "org": "northwind", "repo": "retool-apps", "default_branch": "main",
		"config": map[string]any{"type": "App", "app_id": "318204", "installation_id": "40211876",
			"private_key": "sbx_" + a.fake.Hex(16)},
	})
	set("sso_config", "/api/v2/sso/config", map[string]any{
		"config_type": "google", "google_client_id": "northwind-retool.apps.googleusercontent.example",
		"google_client_secret": "sbx_" + a.fake.Hex(12), "disable_email_password_login": false,
	})
	hideSourceControlSecrets(a.single["source_control_config"]) // stored as the real API stores them
	a.hideSSOSecrets(a.single["sso_config"])
}
