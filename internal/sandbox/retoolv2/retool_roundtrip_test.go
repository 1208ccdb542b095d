package retoolv2

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// rtStep is one call of a round trip and the template it exercises.
type rtStep struct {
	method, template, target string
	body                     any
}

// roundTrip is create → read → list → update → read → delete → read (404)
// for one stateful family. Empty steps are ones the document does not have.
type roundTrip struct {
	name   string
	list   string
	create rtStep
	// item is the item's template; the created id replaces {id}.
	item   string
	update rtStep // target may hold {id}
	field  string // a field the update changes, and its new value
	want   any
	delete bool
}

func TestCreateReadUpdateDeleteRoundTrips(t *testing.T) {
	v := newDocValidator(t)
	s := newRetoolServer(t, 3)
	f := newFixture(t, s)
	replace := func(path string, val any) any {
		return map[string]any{"operations": []any{map[string]any{"op": "replace", "path": path, "value": val}}}
	}
	create := func(template string, body any) rtStep {
		return rtStep{"POST", template, template, body}
	}
	cases := []roundTrip{
		{name: "users", list: "/api/v2/users", item: "/api/v2/users/{userId}",
			create: create("/api/v2/users", map[string]any{"email": "rt@northwind.example", "first_name": "Round", "last_name": "Trip"}),
			update: rtStep{method: "PATCH", body: replace("/last_name", "Tripped")}, field: "last_name", want: "Tripped", delete: true},
		{name: "groups", list: "/api/v2/groups", item: "/api/v2/groups/{groupId}",
			create: create("/api/v2/groups", map[string]any{"name": "Round trip"}),
			update: rtStep{method: "PUT", body: map[string]any{"name": "Round tripped", "universal_app_access": "use"}},
			field:  "universal_app_access", want: "use", delete: true},
		{name: "folders", list: "/api/v2/folders", item: "/api/v2/folders/{folderId}",
			create: create("/api/v2/folders", map[string]any{"name": "Round trip", "folder_type": "workflow"}),
			update: rtStep{method: "PATCH", body: replace("/name", "Renamed")}, field: "name", want: "Renamed", delete: true},
		{name: "spaces", list: "/api/v2/spaces", item: "/api/v2/spaces/{spaceId}",
			create: create("/api/v2/spaces", map[string]any{"name": "RT", "domain": "rt.northwind.example"}),
			update: rtStep{method: "PUT", body: map[string]any{"name": "RT2", "domain": "rt2.northwind.example"}},
			field:  "domain", want: "rt2.northwind.example", delete: true},
		{name: "environments", list: "/api/v2/environments", item: "/api/v2/environments/{environmentId}",
			create: create("/api/v2/environments", map[string]any{"name": "qa", "color": "#00AA00", "description": "QA"}),
			update: rtStep{method: "PATCH", body: replace("/color", "#AA0000")}, field: "color", want: "#AA0000", delete: true},
		{name: "resources", list: "/api/v2/resources", item: "/api/v2/resources/{resourceId}",
			create: create("/api/v2/resources", map[string]any{"type": "postgresql", "display_name": "RT DB",
				"options": map[string]any{"database_options": map[string]any{"host": "h", "port": "5432"}}}),
			update: rtStep{method: "PATCH", body: replace("/display_name", "RT DB 2")}, field: "display_name", want: "RT DB 2", delete: true},
		{name: "resource configurations", list: "/api/v2/resource_configurations", item: "/api/v2/resource_configurations/{configurationId}",
			create: create("/api/v2/resource_configurations", map[string]any{"resource_id": f["resourceId"], "environment_id": f["environmentId"],
				"options": map[string]any{"database_options": map[string]any{"host": "h", "port": "5432"}}}),
			update: rtStep{method: "PATCH", body: replace("/options/database_options/host", "h2")}, field: "options.database_options.host", want: "h2", delete: true},
		{name: "configuration variables", list: "/api/v2/configuration_variables", item: "/api/v2/configuration_variables/{id}",
			create: create("/api/v2/configuration_variables", map[string]any{"name": "RT", "secret": false, "values": []any{}}),
			update: rtStep{method: "PUT", body: map[string]any{"name": "RT2", "secret": true, "values": []any{}}}, field: "name", want: "RT2", delete: true},
		{name: "user attributes", list: "/api/v2/user_attributes",
			create: create("/api/v2/user_attributes", map[string]any{"name": "shift", "label": "Shift", "dataType": "string"}),
			update: rtStep{"PATCH", "/api/v2/user_attributes/{id}", "/api/v2/user_attributes/{id}", replace("/label", "Work shift")},
			field:  "label", want: "Work shift", delete: true},
		{name: "user invites", list: "/api/v2/user_invites", item: "/api/v2/user_invites/{userInviteId}",
			create: create("/api/v2/user_invites", map[string]any{"email": "rt@partner.example", "defaultGroupIds": []any{float64(5)}}),
			delete: true},
		{name: "app themes", list: "/api/v2/app_themes", item: "/api/v2/app_themes/{id}",
			create: create("/api/v2/app_themes", map[string]any{"name": "RT", "theme": map[string]any{}}),
			update: rtStep{"PUT", "/api/v2/app_themes", "/api/v2/app_themes", map[string]any{"id": "{id}", "name": "RT2", "theme": map[string]any{}}},
			field:  "name", want: "RT2", delete: true},
		{name: "apps (cloned)", list: "/api/v2/apps", item: "/api/v2/apps/{appId}",
			create: create("/api/v2/apps/cloneApp", map[string]any{"app_id": f["appId"], "new_app_name": "RT app"}), delete: true},
		{name: "observability", list: "/api/v2/observability/config",
			create: create("/api/v2/observability/config", map[string]any{"config": map[string]any{"provider": "Sentry", "dsn": "https://k@s.example/1"}, "enabled": true}),
			update: rtStep{"PUT", "/api/v2/observability/config/{configId}", "/api/v2/observability/config/{id}", map[string]any{"enabled": false}},
			field:  "enabled", want: false, delete: true},
		{name: "roles", list: "/api/v2/role_permissions/roles",
			create: create("/api/v2/role_permissions/roles", map[string]any{"name": "RT", "object_scopes": []any{}, "organization_scopes": []any{}}),
			update: rtStep{"PATCH", "/api/v2/role_permissions/roles/{roleId}", "/api/v2/role_permissions/roles/{id}", map[string]any{"description": "changed"}},
			field:  "description", want: "changed", delete: true},
		{name: "custom component libraries", list: "/api/v2/custom_component_libraries?libraryId=x", item: "/api/v2/custom_component_libraries/{libraryId}",
			create: create("/api/v2/custom_component_libraries", map[string]any{"name": "rt", "label": "RT", "description": nil})},
		{name: "access tokens", list: "/api/v2/access_tokens", item: "/api/v2/access_tokens/{accessTokenId}",
			create: create("/api/v2/access_tokens", map[string]any{"label": "RT", "scopes": []any{"users:read"}})},
	}
	for _, rt := range cases {
		t.Run(rt.name, func(t *testing.T) {
			s.Reset()
			do := func(st rtStep, id string, unlisted bool) *httptest.ResponseRecorder {
				t.Helper()
				target := strings.ReplaceAll(st.target, "{id}", id)
				var body []byte
				if st.body != nil {
					text := string(mustJSON(t, st.body))
					if _, err := strconv.Atoi(id); err == nil {
						text = strings.ReplaceAll(text, `"{id}"`, id) // a numeric id is a JSON number
					}
					body = []byte(strings.ReplaceAll(text, "{id}", id))
				}
				rec := hit(s, st.method, target, body)
				if err := v.check(st.method, st.template, target, rec, unlisted); err != nil {
					t.Fatal(err)
				}
				return rec
			}
			rec := do(rt.create, "", false)
			if rec.Code/100 != 2 {
				t.Fatalf("create: %d %s", rec.Code, rec.Body.String())
			}
			created := dataOf(t, rec)
			id := crud.ID(created["id"])
			inList := func() bool {
				for _, it := range listed(t, s, rt.list) {
					if crud.ID(it["id"]) == id {
						return true
					}
				}
				return false
			}
			itemStep := func(method string) rtStep {
				if rt.item == "" {
					return rtStep{}
				}
				tpl := rt.item
				return rtStep{method, tpl, tpl[:strings.LastIndexByte(tpl, '/')+1] + id, nil}
			}
			if !inList() {
				t.Fatalf("created %s is not listed", id)
			}
			if rt.item != "" {
				if got := dataOf(t, do(itemStep("GET"), id, false)); crud.ID(got["id"]) != id {
					t.Fatalf("read back %v, want id %s", got["id"], id)
				}
			}
			if rt.update.method != "" {
				up := rt.update
				if up.target == "" {
					up.target, up.template = itemStep("GET").target, rt.item
				}
				rec := do(up, id, false)
				if rec.Code/100 != 2 {
					t.Fatalf("update: %d %s", rec.Code, rec.Body.String())
				}
				var got any = findIn(t, s, rt.list, id)
				if rt.item != "" {
					got = dataOf(t, do(itemStep("GET"), id, false))
				}
				if val := fieldAt(got, rt.field); !jsonpatch.Equal(val, rt.want) {
					t.Fatalf("after the update %s = %v, want %v", rt.field, val, rt.want)
				}
			}
			if !rt.delete {
				return
			}
			delStep := itemStep("DELETE")
			if rt.item == "" {
				delStep = rtStep{"DELETE", rt.update.template, strings.ReplaceAll(rt.update.target, "{id}", id), nil}
				if rt.update.method == "PUT" && rt.update.template == "/api/v2/app_themes" {
					delStep = itemStep("DELETE")
				}
			}
			if rec := do(delStep, id, false); rec.Code/100 != 2 {
				t.Fatalf("delete: %d %s", rec.Code, rec.Body.String())
			}
			if inList() {
				t.Fatalf("deleted %s is still listed", id)
			}
			if rt.item != "" {
				if rec := do(itemStep("GET"), id, true); rec.Code != 404 {
					t.Fatalf("read after delete: %d %s", rec.Code, rec.Body.String())
				}
			}
			if rec := do(delStep, id, true); rec.Code != 404 {
				t.Fatalf("second delete: %d %s, want 404", rec.Code, rec.Body.String())
			}
		})
	}
}

// dataOf is the object an answer is about: its data, or the bare body.
func dataOf(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	m := decoded(t, rec)
	if d, ok := m["data"].(map[string]any); ok {
		return d
	}
	return m
}

func findIn(t *testing.T, s *API, list, id string) map[string]any {
	t.Helper()
	for _, it := range listed(t, s, list) {
		if crud.ID(it["id"]) == id {
			return it
		}
	}
	t.Fatalf("%s does not list %s", list, id)
	return nil
}

// fieldAt reads a dotted field of a decoded object; nil where it is missing.
func fieldAt(v any, dotted string) any {
	for _, k := range strings.Split(dotted, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}
