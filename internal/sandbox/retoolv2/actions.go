package retoolv2

import (
	"net/http"
	"strings"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// cloneApp copies an app under a new name, into a folder if one is named.
func cloneApp(a *retool, c *apiCall) *answer {
	src, ok := a.byID("apps", idString(c.body["app_id"]))
	if !ok {
		return notFound("App", idString(c.body["app_id"]))
	}
	app := jsonpatch.Clone(src).(map[string]any)
	for _, f := range []string{"id", "shortlink"} {
		delete(app, f)
	}
	app["name"] = c.body["new_app_name"]
	app["protected"] = false
	if folder, given := c.body["folder_id"]; given {
		if _, ok := a.byID("folders", idString(folder)); !ok {
			return unknownReference("Folder", folder)
		}
		app["folder_id"] = folder
	}
	item, ans := a.createItem(a.family("apps"), c, app)
	if ans != nil {
		return ans
	}
	return a.ok(c, item)
}

func copyElements(a *retool, c *apiCall) *answer {
	if _, ok := a.byID("spaces", idString(c.body["destination_space_id"])); !ok {
		return notFound("Space", idString(c.body["destination_space_id"]))
	}
	out := map[string]any{}
	for _, k := range []string{"resource_ids", "query_library_query_ids", "app_ids", "workflow_ids"} {
		out[k] = c.body[k]
	}
	return a.ok(c, out)
}

// upsertTheme updates the theme the body's id names, or creates one (201).
func upsertTheme(a *retool, c *apiCall) *answer {
	fam := a.family("app_themes")
	if id, given := c.body["id"]; given {
		if t, ok := a.byID("app_themes", idString(id)); ok {
			next := jsonpatch.Clone(t).(map[string]any)
			for k, v := range fam.fromBody(c.body) {
				if k != "legacy_id" && k != "created_at" && k != "updated_at" {
					next[k] = v
				}
			}
			i := indexOf(a.stores["app_themes"], t)
			return a.replaceItem(fam, c, i, next)
		}
	}
	item, ans := a.createItem(fam, c, fam.fromBody(c.body))
	if ans != nil {
		return ans
	}
	return a.answer(c, http.StatusCreated, a.show(fam, item))
}

func indexOf(items []map[string]any, item map[string]any) int {
	for i, it := range items {
		if idString(it["id"]) == idString(item["id"]) {
			return i
		}
	}
	return -1
}

// createAccessToken shows the new token's secret, once.
func createAccessToken(a *retool, c *apiCall) *answer {
	fam := a.family("access_tokens")
	item, ans := a.createItem(fam, c, fam.fromBody(c.body))
	if ans != nil {
		return ans
	}
	v := a.show(fam, item)
	v["access_token"] = item["access_token"]
	return a.ok(c, v)
}

// finishTask submits or cancels a pending task.
func finishTask(status string) handler {
	return func(a *retool, c *apiCall) *answer {
		return changeTask(a, c, func(t map[string]any) *answer {
			t["status"] = status
			t["completed_at"] = oas.Stamp(a.now())
			if out, given := c.body["output"]; given {
				t["output"] = jsonpatch.Clone(out)
			}
			return nil
		})
	}
}

func reassignTask(a *retool, c *apiCall) *answer {
	return changeTask(a, c, func(t map[string]any) *answer {
		list, _ := c.body["assignees"].([]any)
		assignees := []any{}
		for _, raw := range list {
			as := raw.(map[string]any)
			typ, id := idString(as["type"]), idString(as["id"])
			famName := map[string]string{"group": "groups", "user": "users"}[typ]
			it, ok := a.byID(famName, id)
			if !ok {
				return notFound(strings.ToUpper(typ[:1])+typ[1:], id)
			}
			// Task assignees carry numeric ids; a user is named by its
			// string id in the body, so its legacy (numeric) id is shown.
			name, num := it["name"], it["legacy_id"]
			if typ == "user" {
				name = idString(it["first_name"]) + " " + idString(it["last_name"])
			}
			assignees = append(assignees, map[string]any{"type": typ, "id": num, "name": name})
		}
		t["assignees"] = assignees
		return nil
	})
}

// changeTask changes a pending task and answers it.
func changeTask(a *retool, c *apiCall, change func(t map[string]any) *answer) *answer {
	t, i, ans := a.item(c, "user_tasks", "taskId")
	if ans != nil {
		return ans
	}
	if t["status"] != "pending" {
		return failure(http.StatusBadRequest, "User task is not pending")
	}
	next := jsonpatch.Clone(t).(map[string]any)
	if ans := change(next); ans != nil {
		return ans
	}
	fam := a.family("user_tasks")
	if err := fam.read.Check(next); err != nil {
		return failure(http.StatusBadRequest, "Invalid value: "+err.Error())
	}
	a.stores["user_tasks"][i] = next
	return a.ok(c, map[string]any{"user_task": next})
}

// listGrants lists role grants, all or a subject's. The document gives these
// answers no body; a list is what a caller needs, so one is sent.
func listGrants(a *retool, c *apiCall) *answer {
	out := []any{}
	for _, g := range a.stores["role_grants"] {
		if st, ok := c.params["subjectType"]; ok &&
			(idString(g["subject_type"]) != st || idString(g["subject_id"]) != c.params["subjectId"]) {
			continue
		}
		out = append(out, jsonpatch.Clone(g))
	}
	return &answer{status: http.StatusOK, body: map[string]any{"success": true, "data": out}}
}

func removeGrants(a *retool, c *apiCall) *answer {
	if _, ok := a.byID("roles", idString(c.body["role_id"])); !ok {
		return failure(http.StatusBadRequest, "Role "+idString(c.body["role_id"])+" does not exist")
	}
	a.removeWhere("role_grants", func(g map[string]any) bool {
		for _, k := range []string{"role_id", "subject_type", "subject_id", "object_type", "object_id"} {
			if want, given := c.body[k]; given && idString(g[k]) != idString(want) {
				return false
			}
		}
		return true
	})
	return a.ok(c, nil)
}
