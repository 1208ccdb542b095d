package retoolv2

import (
	"net/http"
	"strings"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"

	"github.com/budgetgw/gateway/internal/sandbox/oas"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// cloneApp copies an app under a new name, into a folder if one is named.
func cloneApp(a *retool, c *apiCall) *answer {
	src, ok := a.store.ByID("apps", crud.ID(c.Body["app_id"]))
	if !ok {
		return notFound("App", crud.ID(c.Body["app_id"]))
	}
	app := jsonpatch.Clone(src).(map[string]any)
	for _, f := range []string{"id", "shortlink"} {
		delete(app, f)
	}
	app["name"] = c.Body["new_app_name"]
	app["protected"] = false
	if folder, given := c.Body["folder_id"]; given {
		if _, ok := a.store.ByID("folders", crud.ID(folder)); !ok {
			return unknownReference("Folder", folder)
		}
		app["folder_id"] = folder
	}
	item, ans := a.store.Create(a.store.Family("apps"), c, app)
	if ans != nil {
		return ans
	}
	return a.OK(c, item)
}

func copyElements(a *retool, c *apiCall) *answer {
	if _, ok := a.store.ByID("spaces", crud.ID(c.Body["destination_space_id"])); !ok {
		return notFound("Space", crud.ID(c.Body["destination_space_id"]))
	}
	out := map[string]any{}
	for _, k := range []string{"resource_ids", "query_library_query_ids", "app_ids", "workflow_ids"} {
		out[k] = c.Body[k]
	}
	return a.OK(c, out)
}

// upsertTheme updates the theme the body's id names, or creates one (201).
func upsertTheme(a *retool, c *apiCall) *answer {
	fam := a.store.Family("app_themes")
	if id, given := c.Body["id"]; given {
		if t, ok := a.store.ByID("app_themes", crud.ID(id)); ok {
			next := jsonpatch.Clone(t).(map[string]any)
			for k, v := range fam.FromBody(c.Body) {
				if k != "legacy_id" && k != "created_at" && k != "updated_at" {
					next[k] = v
				}
			}
			i := indexOf(a.store.Items["app_themes"], t)
			return a.store.Replace(fam, c, i, next)
		}
	}
	item, ans := a.store.Create(fam, c, fam.FromBody(c.Body))
	if ans != nil {
		return ans
	}
	return a.answer(c, http.StatusCreated, a.store.Show(fam, item))
}

func indexOf(items []map[string]any, item map[string]any) int {
	for i, it := range items {
		if crud.ID(it["id"]) == crud.ID(item["id"]) {
			return i
		}
	}
	return -1
}

// createAccessToken shows the new token's secret, once.
func createAccessToken(a *retool, c *apiCall) *answer {
	fam := a.store.Family("access_tokens")
	item, ans := a.store.Create(fam, c, fam.FromBody(c.Body))
	if ans != nil {
		return ans
	}
	v := a.store.Show(fam, item)
	v["access_token"] = item["access_token"]
	return a.OK(c, v)
}

// finishTask submits or cancels a pending task.
func finishTask(status string) handler {
	return func(a *retool, c *apiCall) *answer {
		return changeTask(a, c, func(t map[string]any) *answer {
			t["status"] = status
			t["completed_at"] = oas.Stamp(a.now())
			if out, given := c.Body["output"]; given {
				t["output"] = jsonpatch.Clone(out)
			}
			return nil
		})
	}
}

func reassignTask(a *retool, c *apiCall) *answer {
	return changeTask(a, c, func(t map[string]any) *answer {
		list, _ := c.Body["assignees"].([]any)
		assignees := []any{}
		for _, raw := range list {
			as := raw.(map[string]any)
			typ, id := crud.ID(as["type"]), crud.ID(as["id"])
			famName := map[string]string{"group": "groups", "user": "users"}[typ]
			it, ok := a.store.ByID(famName, id)
			if !ok {
				return notFound(strings.ToUpper(typ[:1])+typ[1:], id)
			}
			// Task assignees carry numeric ids; a user is named by its
			// string id in the body, so its legacy (numeric) id is shown.
			name, num := it["name"], it["legacy_id"]
			if typ == "user" {
				name = crud.ID(it["first_name"]) + " " + crud.ID(it["last_name"])
			}
			assignees = append(assignees, map[string]any{"type": typ, "id": num, "name": name})
		}
		t["assignees"] = assignees
		return nil
	})
}

// changeTask changes a pending task and answers it.
func changeTask(a *retool, c *apiCall, change func(t map[string]any) *answer) *answer {
	t, i, ans := a.store.ItemAt(c, "user_tasks", "taskId")
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
	fam := a.store.Family("user_tasks")
	if err := fam.Read().Check(next); err != nil {
		return failure(http.StatusBadRequest, "Invalid value: "+err.Error())
	}
	a.store.Items["user_tasks"][i] = next
	return a.OK(c, map[string]any{"user_task": next})
}

// listGrants lists role grants, all or a subject's. The document gives these
// answers no body; a list is what a caller needs, so one is sent.
func listGrants(a *retool, c *apiCall) *answer {
	out := []any{}
	for _, g := range a.store.Items["role_grants"] {
		if st, ok := c.Params["subjectType"]; ok &&
			(crud.ID(g["subject_type"]) != st || crud.ID(g["subject_id"]) != c.Params["subjectId"]) {
			continue
		}
		out = append(out, jsonpatch.Clone(g))
	}
	return &answer{Status: http.StatusOK, Body: map[string]any{"success": true, "data": out}}
}

func removeGrants(a *retool, c *apiCall) *answer {
	if _, ok := a.store.ByID("roles", crud.ID(c.Body["role_id"])); !ok {
		return failure(http.StatusBadRequest, "Role "+crud.ID(c.Body["role_id"])+" does not exist")
	}
	a.store.RemoveWhere("role_grants", func(g map[string]any) bool {
		for _, k := range []string{"role_id", "subject_type", "subject_id", "object_type", "object_id"} {
			if want, given := c.Body[k]; given && crud.ID(g[k]) != crud.ID(want) {
				return false
			}
		}
		return true
	})
	return a.OK(c, nil)
}
