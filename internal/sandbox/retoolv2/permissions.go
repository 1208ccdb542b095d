package retoolv2

import (
	"net/http"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// Permissions are kept, not made up: /permissions/grant adds one,
// /permissions/revoke removes it, /permissions/listObjects and
// /permissions/accessList report what is there. A plan that reads back what
// it granted then settles, as it does against the real API
// (TestAccPermissions, TestAccPermissions_ManagedDeletion).
//
// A permission is stored as {subject_type, subject_id, object_type,
// object_id, access_level}, ids as a path shows them.

const permissionsStore = "permissions"

// permissionTarget is the family an object or subject type names; screens
// have none (the sandbox keeps no app screens) and are taken on trust.
var permissionTarget = map[string]struct{ family, noun string }{
	"group": {"groups", "Group"}, "user": {"users", "User"},
	"folder": {"folders", "Folder"}, "app": {"apps", "App"}, "resource": {"resources", "Resource"},
	"resource_configuration": {"resource_configurations", "Resource configuration"},
}

// permissionRef reads {type, id} from a body field and checks that it names
// something that exists: the real API's 400 for an unknown reference.
func (a *retool) permissionRef(c *apiCall, field string) (typ, id string, ans *answer) {
	ref, _ := c.Body[field].(map[string]any)
	typ, id = crud.ID(ref["type"]), crud.ID(ref["id"])
	if t, known := permissionTarget[typ]; known {
		if _, ok := a.store.ByID(t.family, id); !ok {
			return "", "", unknownReference(t.noun, ref["id"])
		}
	}
	return typ, id, nil
}

func grantPermission(a *retool, c *apiCall) *answer {
	return a.changePermission(c, func(st, sid, ot, oid string) {
		level := crud.ID(c.Body["access_level"])
		for _, p := range a.store.Items[permissionsStore] {
			if samePermission(p, st, sid, ot, oid) {
				p["access_level"] = level
				return
			}
		}
		a.store.Items[permissionsStore] = append(a.store.Items[permissionsStore], map[string]any{
			"subject_type": st, "subject_id": sid, "object_type": ot, "object_id": oid, "access_level": level,
		})
	})
}

func revokePermission(a *retool, c *apiCall) *answer {
	return a.changePermission(c, func(st, sid, ot, oid string) {
		a.dropPermissionsWhere(func(p map[string]any) bool { return samePermission(p, st, sid, ot, oid) })
	})
}

// changePermission checks both ends, applies change, and answers the
// subject's permissions on objects of the type changed: what the real API
// answers to a grant or a revoke. For screens it sends only success and data
// (TestAccPermissions_Screen).
func (a *retool) changePermission(c *apiCall, change func(st, sid, ot, oid string)) *answer {
	st, sid, ans := a.permissionRef(c, "subject")
	if ans != nil {
		return ans
	}
	ot, oid, ans := a.permissionRef(c, "object")
	if ans != nil {
		return ans
	}
	change(st, sid, ot, oid)
	items := a.permissionsOf(st, sid, ot)
	if ot == "screen" {
		data := make([]any, len(items))
		for i, it := range items {
			data[i] = it
		}
		return &answer{Status: http.StatusOK, Body: map[string]any{"success": true, "data": data}}
	}
	return a.Page(c, items)
}

func listPermissions(a *retool, c *apiCall) *answer {
	st, sid, ans := a.permissionRef(c, "subject")
	if ans != nil {
		return ans
	}
	return a.Page(c, a.permissionsOf(st, sid, crud.ID(c.Body["object_type"])))
}

// accessList answers who holds a permission on one object, directly.
func accessList(a *retool, c *apiCall) *answer {
	ot, oid := c.Params["objectType"], c.Params["objectId"]
	out := map[string]any{"group": []any{}, "user": []any{}, "userInvite": []any{}}
	for _, p := range a.store.Items[permissionsStore] {
		if p["object_type"] != ot || p["object_id"] != oid {
			continue
		}
		st := crud.ID(p["subject_type"])
		out[st] = append(out[st].([]any), map[string]any{
			"accessLevel": p["access_level"],
			"subject":     map[string]any{"id": p["subject_id"], "type": st},
			"sources":     map[string]any{"direct": true},
		})
	}
	return a.OK(c, out)
}

// permissionsOf lists a subject's permissions on objects of one type, as
// the answers show them.
func (a *retool) permissionsOf(st, sid, ot string) []map[string]any {
	out := []map[string]any{}
	for _, p := range a.store.Items[permissionsStore] {
		if p["subject_type"] == st && p["subject_id"] == sid && p["object_type"] == ot {
			out = append(out, map[string]any{"type": ot, "id": p["object_id"], "access_level": p["access_level"]})
		}
	}
	return out
}

func samePermission(p map[string]any, st, sid, ot, oid string) bool {
	return p["subject_type"] == st && p["subject_id"] == sid && p["object_type"] == ot && p["object_id"] == oid
}

func (a *retool) dropPermissionsWhere(drop func(map[string]any) bool) {
	kept := a.store.Items[permissionsStore][:0]
	for _, p := range a.store.Items[permissionsStore] {
		if !drop(p) {
			kept = append(kept, p)
		}
	}
	a.store.Items[permissionsStore] = kept
}

// dropPermissionsOf forgets the permissions held by or on a deleted item.
func (a *retool) dropPermissionsOf(famName string, item map[string]any) {
	id := crud.ID(item["id"])
	for typ, t := range permissionTarget {
		if t.family != famName {
			continue
		}
		a.dropPermissionsWhere(func(p map[string]any) bool {
			return p["subject_type"] == typ && p["subject_id"] == id || p["object_type"] == typ && p["object_id"] == id
		})
	}
}
