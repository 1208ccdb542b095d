package retoolv2

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

func prepareFolder(a *retool, _ *apiCall, f map[string]any) *answer {
	typ, _ := f["folder_type"].(string)
	f["id"] = fmt.Sprintf("%s_%d", typ, a.folderNumber())
	f["legacy_id"] = f["id"]
	f["is_system_folder"] = false
	if f["parent_folder_id"] == nil {
		f["parent_folder_id"] = rootFolder(a, typ)
	}
	return nil
}

// folderNumber is the next number for a folder id, unique across types.
func (a *retool) folderNumber() int {
	n := 0
	for _, f := range a.store.Items["folders"] {
		id := crud.ID(f["id"])
		if num, err := strconv.Atoi(id[strings.LastIndexByte(id, '_')+1:]); err == nil {
			n = max(n, num)
		}
	}
	return n + 1
}

func rootFolder(a *retool, typ string) any {
	for _, f := range a.store.Items["folders"] {
		if f["folder_type"] == typ && f["is_system_folder"] == true {
			return f["id"]
		}
	}
	return nil
}

// checkFolderParent keeps the folder tree a tree of one type: the document's
// 422, "error with folder structure".
func checkFolderParent(a *retool, f map[string]any) *answer {
	bad := func(msg string) *answer { return failure(http.StatusUnprocessableEntity, msg) }
	for seen, p := map[string]bool{crud.ID(f["id"]): true}, f["parent_folder_id"]; p != nil; {
		parent, ok := a.store.ByID("folders", crud.ID(p))
		switch {
		case !ok:
			return bad("Parent folder " + crud.ID(p) + " does not exist")
		case parent["folder_type"] != f["folder_type"]:
			return bad("A folder's parent must hold the same type of items")
		case seen[crud.ID(p)]:
			return bad("A folder cannot be moved inside itself")
		}
		seen[crud.ID(p)] = true
		p = parent["parent_folder_id"]
	}
	return nil
}

func notSystemFolder(f map[string]any) *answer {
	if f["is_system_folder"] == true {
		return failure(http.StatusBadRequest, "System folders cannot be deleted")
	}
	return nil
}

// dropFolderContents deletes what a deleted folder held: its subfolders and,
// for app folders, its apps.
func dropFolderContents(a *retool, f map[string]any) {
	id := crud.ID(f["id"])
	a.store.RemoveWhere("folders", func(sub map[string]any) bool { return crud.ID(sub["parent_folder_id"]) == id })
	a.store.RemoveWhere("apps", func(app map[string]any) bool { return crud.ID(app["folder_id"]) == id })
}

// prepareEnvironment: an environment created without a description has
// none, shown as null, not "" (TestAccEnvironmentWithoutDescription).
func prepareEnvironment(_ *retool, _ *apiCall, e map[string]any) *answer {
	setDefaults(e, map[string]any{"default": false, "description": nil})
	return nil
}

// prepareResource: a resource outside any folder is answered without a
// folder_id at all, not with null (TestAccRetoolResource).
func prepareResource(a *retool, _ *apiCall, r map[string]any) *answer {
	if r["folder_id"] == nil {
		delete(r, "folder_id")
	} else if _, ok := a.store.ByID("folders", crud.ID(r["folder_id"])); !ok {
		return unknownReference("Folder", r["folder_id"])
	}
	setDefaults(r, map[string]any{"protected": false})
	return nil
}

// checkVariableEnvironments refuses values for environments that do not
// exist: 400, not a silently stored value (TestAccConfigurationVariable).
func checkVariableEnvironments(a *retool, v map[string]any) *answer {
	values, _ := v["values"].([]any)
	for _, raw := range values {
		val, _ := raw.(map[string]any)
		if id := val["environment_id"]; id != nil {
			if _, ok := a.store.ByID("environments", crud.ID(id)); !ok {
				return unknownReference("Environment", id)
			}
		}
	}
	return nil
}

// dropConfigurations deletes the configurations of a deleted resource or
// environment.
func dropConfigurations(field string) func(a *retool, item map[string]any) {
	return func(a *retool, item map[string]any) {
		id := crud.ID(item["id"])
		a.store.RemoveWhere("resource_configurations", func(rc map[string]any) bool {
			return crud.ID(mapField(rc, field, "id")) == id
		})
	}
}

func mapField(m map[string]any, outer, inner string) any {
	o, _ := m[outer].(map[string]any)
	return o[inner]
}

// prepareResourceConfiguration links a configuration to the resource and
// environment the body names by id.
func prepareResourceConfiguration(a *retool, c *apiCall, rc map[string]any) *answer {
	rid, eid := crud.ID(c.Body["resource_id"]), crud.ID(c.Body["environment_id"])
	if _, ok := a.store.ByID("resources", rid); !ok {
		return unknownReference("Resource", rid)
	}
	if _, ok := a.store.ByID("environments", eid); !ok {
		return unknownReference("Environment", eid)
	}
	rc["resource"] = map[string]any{"id": rid}
	rc["environment"] = map[string]any{"id": eid}
	return nil
}

// defaultAuthentication: a REST API resource's options come back with the
// authentication it uses, "none" unless set, after a create and after every
// update (TestAccResourceConfiguration).
func defaultAuthentication(a *retool, rc map[string]any) *answer {
	res, _ := a.store.ByID("resources", crud.ID(mapField(rc, "resource", "id")))
	if opts, _ := rc["options"].(map[string]any); opts != nil && res["type"] == "restapi" {
		if _, set := opts["authentication_options"]; !set {
			opts["authentication_options"] = map[string]any{"authentication_type": "none"}
		}
	}
	return nil
}

// viewResourceConfiguration shows the resource and environment as they are now.
func viewResourceConfiguration(a *retool, rc map[string]any) map[string]any {
	v := shallowCopy(rc)
	if r, ok := a.store.ByID("resources", crud.ID(mapField(rc, "resource", "id"))); ok {
		v["resource"] = r
	}
	if e, ok := a.store.ByID("environments", crud.ID(mapField(rc, "environment", "id"))); ok {
		v["environment"] = e
	}
	return v
}

func prepareAttribute(_ *retool, _ *apiCall, at map[string]any) *answer {
	setDefaults(at, map[string]any{"default_value": nil, "intercom_attribute_name": nil})
	return nil
}

func prepareRevision(a *retool, c *apiCall, r map[string]any) *answer {
	n := 0
	for _, other := range a.store.Items["revisions"] {
		if other["custom_component_library_id"] == r["custom_component_library_id"] {
			n++
		}
	}
	r["version"] = fmt.Sprintf("1.%d.0", n)
	return nil
}
