package retoolv2

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

func TestPermissionsAreKeptAsGrantedAndRevoked(t *testing.T) {
	s := newRetoolServer(t, 3)
	post := func(target string, body any, want int) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		rec := hit(s, "POST", target, b)
		if rec.Code != want {
			t.Fatalf("POST %s %s: %d %s, want %d", target, b, rec.Code, clip(rec.Body.String()), want)
		}
		return decoded(t, rec)
	}
	group := post("/api/v2/groups", map[string]any{"name": "Auditors"}, http.StatusOK)["data"].(map[string]any)
	folder := post("/api/v2/folders", map[string]any{"name": "Audit", "folder_type": "app"}, http.StatusOK)["data"].(map[string]any)
	subject := map[string]any{"type": "group", "id": group["id"]}
	object := map[string]any{"type": "folder", "id": folder["id"]}
	listed := func() []any {
		return post("/api/v2/permissions/listObjects", map[string]any{"object_type": "folder", "subject": subject}, http.StatusOK)["data"].([]any)
	}

	if got := listed(); len(got) != 0 {
		t.Fatalf("a new group holds %v, want nothing", got)
	}
	post("/api/v2/permissions/grant", map[string]any{"subject": subject, "object": object, "access_level": "use"}, http.StatusOK)
	post("/api/v2/permissions/grant", map[string]any{"subject": subject, "object": object, "access_level": "edit"}, http.StatusOK)
	got := listed()
	if len(got) != 1 || got[0].(map[string]any)["access_level"] != "edit" || got[0].(map[string]any)["id"] != folder["id"] {
		t.Fatalf("after granting use then edit, listObjects answers %v; want the folder once, at edit", got)
	}
	access := decoded(t, hit(s, "GET", "/api/v2/permissions/accessList/folder/"+crud.ID(folder["id"]), nil))
	if groups := access["data"].(map[string]any)["group"].([]any); len(groups) != 1 {
		t.Errorf("accessList shows %v, want the one group", groups)
	}
	if left := post("/api/v2/permissions/revoke", map[string]any{"subject": subject, "object": object}, http.StatusOK)["data"].([]any); len(left) != 0 {
		t.Errorf("revoke answered %v, want nothing left", left)
	}
	if got := listed(); len(got) != 0 {
		t.Fatalf("after revoking, listObjects answers %v", got)
	}

	post("/api/v2/permissions/grant", map[string]any{"subject": subject, "object": object, "access_level": "own"}, http.StatusOK)
	if rec := hit(s, "DELETE", "/api/v2/folders/"+crud.ID(folder["id"]), nil); rec.Code/100 != 2 {
		t.Fatalf("delete the folder: %d", rec.Code)
	}
	if got := listed(); len(got) != 0 {
		t.Errorf("a deleted folder's permission is still listed: %v", got)
	}

	// Unknown ids in the body are the real API's 400 with a message.
	nobody := map[string]any{"type": "group", "id": 999999}
	msg := post("/api/v2/permissions/listObjects", map[string]any{"object_type": "folder", "subject": nobody}, http.StatusBadRequest)
	if msg["success"] != false || msg["message"] != `Group with id "999999" does not exist` {
		t.Errorf("unknown group answered %v", msg)
	}
	post("/api/v2/permissions/grant", map[string]any{"subject": subject, "access_level": "use",
		"object": map[string]any{"type": "folder", "id": "app_99999"}}, http.StatusBadRequest)
}
