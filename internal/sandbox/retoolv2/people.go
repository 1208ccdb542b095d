package retoolv2

import (
	"net/http"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// readUser adds the user's groups when asked (includeGroups=true).
func readUser(a *retool, c *apiCall) *answer {
	u, _, ans := a.store.ItemAt(c, "users", "userId")
	if ans != nil {
		return ans
	}
	v := shallowCopy(u)
	if c.Query.Get("includeGroups") == "true" {
		groups := []any{}
		for _, g := range a.store.Items["groups"] {
			for _, m := range g["members"].([]any) {
				if crud.ID(m.(map[string]any)["id"]) == crud.ID(u["id"]) {
					groups = append(groups, map[string]any{"id": g["id"], "legacy_id": g["legacy_id"], "name": g["name"]})
				}
			}
		}
		v["groups"] = groups
	}
	return a.OK(c, v)
}

func resetTwoFactor(a *retool, c *apiCall) *answer {
	u, _, ans := a.store.ItemAt(c, "users", "userId")
	if ans != nil {
		return ans
	}
	u["two_factor_auth_enabled"] = false
	return a.OK(c, nil)
}

// setAttribute sets (POST) or removes (DELETE) one user attribute value in
// the metadata of a user or an invitation, answering the whole metadata.
func setAttribute(famName string) handler {
	param := map[string]string{"users": "userId", "user_invites": "userInviteId"}[famName]
	return func(a *retool, c *apiCall) *answer {
		it, _, ans := a.store.ItemAt(c, famName, param)
		if ans != nil {
			return ans
		}
		meta, _ := it["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			it["metadata"] = meta
		}
		if c.Op.Method == http.MethodDelete {
			delete(meta, c.Params["attributeName"])
		} else {
			meta[crud.ID(c.Body["name"])] = c.Body["value"]
		}
		return a.OK(c, map[string]any{"metadata": meta})
	}
}

// readGroup leaves out disabled users when asked (excludeDisabledUsers=true).
func readGroup(a *retool, c *apiCall) *answer {
	g, _, ans := a.store.ItemAt(c, "groups", "groupId")
	if ans != nil {
		return ans
	}
	v := viewGroup(a, g)
	if c.Query.Get("excludeDisabledUsers") == "true" {
		kept := []any{}
		for _, m := range v["members"].([]any) {
			if u, ok := a.store.ByID("users", crud.ID(m.(map[string]any)["id"])); ok && u["active"] == true {
				kept = append(kept, m)
			}
		}
		v["members"] = kept
	}
	return a.OK(c, v)
}

// changeGroup applies change to a copy of the group and stores it if valid.
func changeGroup(a *retool, c *apiCall, change func(g map[string]any) *answer) *answer {
	g, i, ans := a.store.ItemAt(c, "groups", "groupId")
	if ans != nil {
		return ans
	}
	next := jsonpatch.Clone(g).(map[string]any)
	if ans := change(next); ans != nil {
		return ans
	}
	return a.store.Replace(a.store.Family("groups"), c, i, next)
}

func addMembers(a *retool, c *apiCall) *answer {
	return changeGroup(a, c, func(g map[string]any) *answer {
		add, _ := c.Body["members"].([]any)
		g["members"] = append(g["members"].([]any), add...) // resolveMembers drops repeats
		return nil
	})
}

func removeMember(a *retool, c *apiCall) *answer {
	return changeGroup(a, c, func(g map[string]any) *answer {
		members := g["members"].([]any)
		for i, m := range members {
			if crud.ID(m.(map[string]any)["id"]) == c.Params["userSid"] {
				g["members"] = append(members[:i:i], members[i+1:]...)
				return nil
			}
		}
		return notFound("Group member", c.Params["userSid"])
	})
}

func addGroupInvites(a *retool, c *apiCall) *answer {
	return changeGroup(a, c, func(g map[string]any) *answer {
		ids, _ := c.Body["userInviteIds"].([]any)
		for _, id := range ids {
			inv, ok := a.store.ByID("user_invites", crud.ID(id))
			if !ok {
				return notFound("User invite", crud.ID(id))
			}
			g["user_invites"] = append(g["user_invites"].([]any), map[string]any{"id": inv["id"]})
			groups, _ := inv["groups"].([]any)
			inv["groups"] = append(groups, map[string]any{"id": g["id"], "legacy_id": g["legacy_id"], "name": g["name"]})
		}
		return nil
	})
}

func removeGroupInvite(a *retool, c *apiCall) *answer {
	return changeGroup(a, c, func(g map[string]any) *answer {
		invites := g["user_invites"].([]any)
		for i, inv := range invites {
			if crud.ID(inv.(map[string]any)["id"]) == c.Params["userInviteId"] {
				g["user_invites"] = append(invites[:i:i], invites[i+1:]...)
				if it, ok := a.store.ByID("user_invites", c.Params["userInviteId"]); ok {
					kept := []any{}
					for _, gg := range it["groups"].([]any) {
						if crud.ID(gg.(map[string]any)["id"]) != crud.ID(g["id"]) {
							kept = append(kept, gg)
						}
					}
					it["groups"] = kept
				}
				return nil
			}
		}
		return notFound("User invite", c.Params["userInviteId"])
	})
}
