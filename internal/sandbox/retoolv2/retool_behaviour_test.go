package retoolv2

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// expect sends one call and checks its status, and the answer against the
// document. Refusals may have statuses the document does not list (a 404 for
// an unknown id, a 400 for a bad body): the real API answers them too.
func expect(t *testing.T, v *docValidator, s *API, method, template, target string, body any, want int) map[string]any {
	t.Helper()
	var b []byte
	if body != nil {
		b = mustJSON(t, body)
	}
	rec := hit(s, method, target, b)
	if rec.Code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, target, rec.Code, clip(rec.Body.String()), want)
	}
	if v != nil {
		if err := v.check(method, template, target, rec, want >= 400); err != nil {
			t.Fatal(err)
		}
	}
	if rec.Body.Len() == 0 {
		return nil
	}
	return decoded(t, rec)
}

func TestSettingsAndRelationsKeepState(t *testing.T) {
	v := newDocValidator(t)
	s := newRetoolServer(t, 5)
	f := newFixture(t, s)
	const cfg = "/api/v2/source_control/config"
	github := map[string]any{"config": map[string]any{"provider": "GitHub", "org": "nw", "repo": "r", "default_branch": "main",
		"config": map[string]any{"type": "Personal", "personal_access_token": "sbx"}}}

	t.Run("source control is configured once, replaced, removed", func(t *testing.T) {
		expect(t, v, s, "POST", cfg, cfg, github, http.StatusConflict)
		expect(t, v, s, "DELETE", cfg, cfg, nil, http.StatusNoContent)
		expect(t, v, s, "DELETE", cfg, cfg, nil, http.StatusNotFound)
		expect(t, v, s, "GET", cfg, cfg, nil, http.StatusNotFound)
		expect(t, v, s, "PUT", cfg, cfg, github, http.StatusCreated)
		expect(t, v, s, "PUT", cfg, cfg, github, http.StatusOK)
		got := expect(t, v, s, "GET", cfg, cfg, nil, http.StatusOK)
		if got["data"].(map[string]any)["repo"] != "r" {
			t.Fatalf("read back %v", got)
		}
	})
	t.Run("source control settings change field by field", func(t *testing.T) {
		const p = "/api/v2/source_control/settings"
		expect(t, v, s, "PUT", p, p, map[string]any{"settings": map[string]any{"version_control_locked": true}}, http.StatusOK)
		got := expect(t, v, s, "GET", p, p, nil, http.StatusOK)["data"].(map[string]any)
		if got["version_control_locked"] != true || got["auto_branch_naming_enabled"] != true {
			t.Fatalf("settings %v", got)
		}
	})
	t.Run("SSO is removed, then missing, then configured again", func(t *testing.T) {
		const p = "/api/v2/sso/config"
		expect(t, v, s, "DELETE", p, p, nil, http.StatusNoContent)
		expect(t, v, s, "GET", p, p, nil, http.StatusNotFound)
		expect(t, v, s, "POST", p, p, map[string]any{"data": map[string]any{"config_type": "google",
			"google_client_id": "id", "google_client_secret": "s", "disable_email_password_login": true}}, http.StatusOK)
		expect(t, v, s, "GET", p, p, nil, http.StatusOK)
	})
	t.Run("group members are added, shown with their email, and removed", func(t *testing.T) {
		g := expect(t, v, s, "POST", "/api/v2/groups", "/api/v2/groups", map[string]any{"name": "On call"}, http.StatusOK)
		gid := crud.ID(g["data"].(map[string]any)["id"])
		tpl := "/api/v2/groups/{groupId}/members"
		got := expect(t, v, s, "POST", tpl, "/api/v2/groups/"+gid+"/members",
			map[string]any{"members": []any{map[string]any{"id": f["userId"], "is_group_admin": true}}}, http.StatusOK)
		members := got["data"].(map[string]any)["members"].([]any)
		if len(members) != 1 || members[0].(map[string]any)["email"] != f["email"] {
			t.Fatalf("members %v, want the user with email %s", members, f["email"])
		}
		u := expect(t, v, s, "GET", "/api/v2/users/{userId}", "/api/v2/users/"+f["userId"]+"?includeGroups=true", nil, http.StatusOK)
		if !strings.Contains(mustString(t, u), `"name":"On call"`) {
			t.Fatalf("the user's groups do not name the new group: %v", u)
		}
		expect(t, v, s, "DELETE", "/api/v2/groups/{groupId}/members/{userSid}", "/api/v2/groups/"+gid+"/members/"+f["userId"], nil, http.StatusOK)
		expect(t, v, s, "DELETE", "/api/v2/groups/{groupId}/members/{userSid}", "/api/v2/groups/"+gid+"/members/"+f["userId"], nil, http.StatusNotFound)
		// An unknown id in a body is the real API's 400 (recorded.go), not 404.
		expect(t, v, s, "POST", tpl, "/api/v2/groups/"+gid+"/members",
			map[string]any{"members": []any{map[string]any{"id": "user_nobody", "is_group_admin": true}}}, http.StatusBadRequest)
	})
	t.Run("a deleted user leaves every group", func(t *testing.T) {
		expect(t, v, s, "DELETE", "/api/v2/users/{userId}", "/api/v2/users/"+f["userId"], nil, http.StatusNoContent)
		for _, g := range listed(t, s, "/api/v2/groups") {
			if strings.Contains(mustString(t, g), f["userId"]) {
				t.Fatalf("group %v still lists the deleted user", g["name"])
			}
		}
	})
	t.Run("user attributes are set and removed in the user's metadata", func(t *testing.T) {
		s.Reset()
		tpl := "/api/v2/users/{userId}/user_attributes"
		got := expect(t, v, s, "POST", tpl, "/api/v2/users/"+f["userId"]+"/user_attributes",
			map[string]any{"name": "region", "value": "EU"}, http.StatusOK)
		if got["data"].(map[string]any)["metadata"].(map[string]any)["region"] != "EU" {
			t.Fatalf("metadata %v", got)
		}
		expect(t, v, s, "DELETE", tpl+"/{attributeName}", "/api/v2/users/"+f["userId"]+"/user_attributes/region", nil, http.StatusOK)
		u := expect(t, v, s, "GET", "/api/v2/users/{userId}", "/api/v2/users/"+f["userId"], nil, http.StatusOK)
		if _, has := u["data"].(map[string]any)["metadata"].(map[string]any)["region"]; has {
			t.Fatal("the removed attribute is still in the metadata")
		}
	})
	t.Run("a folder cannot be its own ancestor and names are unique under a parent", func(t *testing.T) {
		s.Reset()
		a := expect(t, v, s, "POST", "/api/v2/folders", "/api/v2/folders", map[string]any{"name": "A", "folder_type": "app"}, http.StatusOK)
		aid := crud.ID(a["data"].(map[string]any)["id"])
		b := expect(t, v, s, "POST", "/api/v2/folders", "/api/v2/folders",
			map[string]any{"name": "B", "folder_type": "app", "parent_folder_id": aid}, http.StatusOK)
		bid := crud.ID(b["data"].(map[string]any)["id"])
		expect(t, v, s, "POST", "/api/v2/folders", "/api/v2/folders", map[string]any{"name": "A", "folder_type": "app"}, http.StatusConflict)
		expect(t, v, s, "PATCH", "/api/v2/folders/{folderId}", "/api/v2/folders/"+aid,
			map[string]any{"operations": []any{map[string]any{"op": "replace", "path": "/parent_folder_id", "value": bid}}},
			http.StatusUnprocessableEntity)
		expect(t, v, s, "DELETE", "/api/v2/folders/{folderId}", "/api/v2/folders/"+aid, nil, http.StatusNoContent)
		expect(t, v, s, "GET", "/api/v2/folders/{folderId}", "/api/v2/folders/"+bid, nil, http.StatusNotFound)
	})
	t.Run("a default role cannot be deleted", func(t *testing.T) {
		for _, r := range listed(t, s, "/api/v2/role_permissions/roles") {
			if r["is_default_role"] == true {
				expect(t, v, s, "DELETE", "/api/v2/role_permissions/roles/{roleId}",
					"/api/v2/role_permissions/roles/"+crud.ID(r["id"]), nil, http.StatusBadRequest)
				return
			}
		}
		t.Fatal("no default role is seeded")
	})
	t.Run("a user task is finished once", func(t *testing.T) {
		tpl := "/api/v2/user_tasks/{taskId}/submit"
		body := map[string]any{"email": f["email"], "output": map[string]any{"ok": true}}
		got := expect(t, v, s, "PATCH", tpl, "/api/v2/user_tasks/"+f["taskId"]+"/submit", body, http.StatusOK)
		if got["data"].(map[string]any)["user_task"].(map[string]any)["status"] != "submitted" {
			t.Fatalf("task %v", got)
		}
		expect(t, v, s, "PATCH", tpl, "/api/v2/user_tasks/"+f["taskId"]+"/submit", body, http.StatusBadRequest)
	})
}

func mustString(t *testing.T, v any) string { return string(mustJSON(t, v)) }

func TestListsArePagedWhenAskedTo(t *testing.T) {
	v := newDocValidator(t)
	s := newRetoolServer(t, 1)
	all := listed(t, s, "/api/v2/users")
	if len(all) < 24 {
		t.Fatalf("%d users seeded, want dozens", len(all))
	}
	var paged []string
	target := "/api/v2/users?limit=10"
	for pages := 0; ; pages++ {
		body := expect(t, v, s, "GET", "/api/v2/users", target, nil, http.StatusOK)
		if body["total_count"] != float64(len(all)) {
			t.Fatalf("total_count %v, want %d", body["total_count"], len(all))
		}
		for _, u := range body["data"].([]any) {
			paged = append(paged, crud.ID(u.(map[string]any)["id"]))
		}
		if body["has_more"] == false {
			if body["next_token"] != nil || pages != (len(all)-1)/10 {
				t.Fatalf("last page after %d pages has next_token %v", pages+1, body["next_token"])
			}
			break
		}
		target = "/api/v2/users?limit=10&next_token=" + body["next_token"].(string)
	}
	for i, u := range all {
		if paged[i] != crud.ID(u["id"]) {
			t.Fatalf("page-by-page item %d is %s, the whole list has %s", i, paged[i], u["id"])
		}
	}
	first, _ := retoolPaging.Read(url.Values{"limit": {"5"}}, 10)
	for _, bad := range []string{"limit=0", "limit=101", "limit=ten", "limit=5&next_token=bm9wZQ", "next_token=" + first.Next.(string)} {
		expect(t, nil, s, "GET", "/api/v2/users", "/api/v2/users?"+bad, nil, http.StatusBadRequest)
	}
	filtered := expect(t, v, s, "GET", "/api/v2/users", "/api/v2/users?email="+all[3]["email"].(string), nil, http.StatusOK)
	if data := filtered["data"].([]any); len(data) != 1 || data[0].(map[string]any)["id"] != all[3]["id"] {
		t.Fatalf("filtering by email listed %v", data)
	}
}

func TestCallsAreCheckedAsTheRealAPIChecksThem(t *testing.T) {
	v := newDocValidator(t)
	s := newRetoolServer(t, 1)
	cases := []struct {
		name, method, template, target string
		body                           any
		want                           int
	}{
		{"a body missing a required field", "POST", "/api/v2/users", "/api/v2/users", map[string]any{"email": "x@northwind.example"}, 400},
		{"a body with an unknown field where the schema is closed", "POST", "/api/v2/users", "/api/v2/users",
			map[string]any{"email": "x@northwind.example", "first_name": "X", "last_name": "Y", "shoe_size": 9}, 400},
		{"a value outside its enum", "POST", "/api/v2/folders", "/api/v2/folders", map[string]any{"name": "F", "folder_type": "spreadsheet"}, 400},
		{"a missing required query parameter", "GET", "/api/v2/usage", "/api/v2/usage", nil, 400},
		{"an unknown id where the document lists no 404", "GET", "/api/v2/users/{userId}", "/api/v2/users/user_000000", nil, 404},
		{"an unknown id where it does", "GET", "/api/v2/folders/{folderId}", "/api/v2/folders/app_999", nil, 404},
		{"a patch of a field the item lacks", "PATCH", "/api/v2/environments/{environmentId}", "",
			map[string]any{"operations": []any{map[string]any{"op": "replace", "path": "/flavour", "value": "x"}}}, 400},
		{"a patch that breaks the schema", "PATCH", "/api/v2/environments/{environmentId}", "",
			map[string]any{"operations": []any{map[string]any{"op": "replace", "path": "/color", "value": "red"}}}, 400},
		{"a patch of the id", "PATCH", "/api/v2/environments/{environmentId}", "",
			map[string]any{"operations": []any{map[string]any{"op": "replace", "path": "/id", "value": "x"}}}, 400},
	}
	env := listed(t, s, "/api/v2/environments")[0]["id"].(string)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := c.target
			if target == "" {
				target = "/api/v2/environments/" + env
			}
			got := expect(t, v, s, c.method, c.template, target, c.body, c.want)
			if got["success"] != false || got["message"] == "" {
				t.Fatalf("error body %v", got)
			}
		})
	}
	if rec := hit(s, "GET", "/api/v2/nothing/here", nil); rec.Code != 404 {
		t.Fatalf("an unknown route answered %d", rec.Code)
	}
}

// TestTheValidatorCatchesWrongAnswers keeps the proof honest: answers
// broken on purpose must fail the same validation the real ones pass.
func TestTheValidatorCatchesWrongAnswers(t *testing.T) {
	v := newDocValidator(t)
	s := newRetoolServer(t, 1)
	good := hit(s, "GET", "/api/v2/apps", nil)
	if err := v.check("GET", "/api/v2/apps", "/api/v2/apps", good, false); err != nil {
		t.Fatal(err)
	}
	for _, breakIt := range []struct{ name, from, to string }{
		{"an id that is not a UUID", `"id":"`, `"id":"not-a-uuid-`},
		{"a missing required field", `"name":`, `"nom":`},
		{"a wrong type", `"success":true`, `"success":"yes"`},
	} {
		bad := *good
		bad.Body = bytesBuffer(strings.Replace(good.Body.String(), breakIt.from, breakIt.to, 1))
		if err := v.check("GET", "/api/v2/apps", "/api/v2/apps", &bad, false); err == nil {
			t.Errorf("%s passed validation", breakIt.name)
		}
	}
	teapot := *good
	teapot.Code = http.StatusTeapot
	if err := v.check("GET", "/api/v2/apps", "/api/v2/apps", &teapot, false); err == nil {
		t.Error("an undocumented status passed validation")
	}
}

func TestSeedsMakeRepeatableOrganisations(t *testing.T) {
	body := func(s *API) string { return hit(s, "GET", "/api/v2/users", nil).Body.String() }
	a, b, c := newRetoolServer(t, 1), newRetoolServer(t, 1), newRetoolServer(t, 2)
	if body(a) != body(b) {
		t.Fatal("the same seed made different users")
	}
	if body(a) == body(c) {
		t.Fatal("different seeds made the same users")
	}
	before := body(a)
	hit(a, "POST", "/api/v2/users", mustJSON(t, map[string]any{"email": "n@northwind.example", "first_name": "N", "last_name": "M"}))
	if body(a) == before {
		t.Fatal("a created user is not listed")
	}
	a.Reset()
	if body(a) != before {
		t.Fatal("Reset did not restore the seeded organisation")
	}
}

func TestConcurrentWritesKeepEveryItem(t *testing.T) {
	s := newRetoolServer(t, 1)
	before := len(listed(t, s, "/api/v2/folders"))
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			body := mustJSON(t, map[string]any{"name": "F" + string(rune('A'+i%26)) + string(rune('a'+i/26)), "folder_type": "app"})
			if rec := hit(s, "POST", "/api/v2/folders", body); rec.Code != 200 {
				t.Errorf("create %d: %d %s", i, rec.Code, rec.Body.String())
			}
			hit(s, "GET", "/api/v2/folders?limit=5", nil)
		})
	}
	wg.Wait()
	folders := listed(t, s, "/api/v2/folders")
	ids := map[string]bool{}
	for _, f := range folders {
		ids[crud.ID(f["id"])] = true
	}
	if len(folders) != before+40 || len(ids) != len(folders) {
		t.Fatalf("%d folders (%d distinct ids), want %d", len(folders), len(ids), before+40)
	}
}
