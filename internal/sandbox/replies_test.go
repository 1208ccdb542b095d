package sandbox

import (
	"encoding/json"
	"testing"
)

func TestReplies(t *testing.T) {
	cases := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		check  func(t *testing.T, body map[string]any)
	}{
		{"a collection GET is a one-page list", "GET", "/api/v2/apps", "", 200, func(t *testing.T, b map[string]any) {
			data, _ := b["data"].([]any)
			if b["success"] != true || len(data) != listSize || b["total_count"] != float64(listSize) ||
				b["next_token"] != nil || b["has_more"] != false {
				t.Fatalf("list body %v", b)
			}
			if _, has := b["next_token"]; !has {
				t.Fatal("next_token must be present as null")
			}
		}},
		{"an item GET carries the id from the path", "GET", "/api/v2/apps/app_8f3c21", "", 200, func(t *testing.T, b map[string]any) {
			if data, _ := b["data"].(map[string]any); b["success"] != true || data["id"] != "app_8f3c21" {
				t.Fatalf("item body %v", b)
			}
		}},
		{"a POST to a collection creates and echoes", "POST", "/api/v2/folders", `{"name":"Ops"}`, 201, func(t *testing.T, b map[string]any) {
			data, _ := b["data"].(map[string]any)
			if data["name"] != "Ops" || data["id"] == nil {
				t.Fatalf("create body %v", b)
			}
		}},
		{"a PATCH echoes with the item's id", "PATCH", "/api/v2/users/user_1a2b", `{"active":false}`, 200, func(t *testing.T, b map[string]any) {
			data, _ := b["data"].(map[string]any)
			if data["active"] != false || data["id"] != "user_1a2b" {
				t.Fatalf("patch body %v", b)
			}
		}},
		{"a PUT echoes", "PUT", "/api/v2/groups/42", `{"name":"g"}`, 200, nil},
		{"a DELETE answers no content", "DELETE", "/api/v2/groups/42", "", 204, nil},
		{"a write with a broken body is a bad request", "POST", "/api/v2/folders", `{"name":`, 400, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(Options{Token: "org-token", Seed: 9})
			got := call(t, start(t, s), c.method, c.path, bearer, c.body)
			if got.status != c.status {
				t.Fatalf("status %d, want %d (body %s)", got.status, c.status, got.body)
			}
			if c.status == 204 {
				if got.body != "" {
					t.Fatalf("204 with body %q", got.body)
				}
				return
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var b map[string]any
			if err := json.Unmarshal([]byte(got.body), &b); err != nil {
				t.Fatalf("body %q is not a JSON object: %v", got.body, err)
			}
			if c.check != nil {
				c.check(t, b)
			}
		})
	}
}

func TestFakeDataIsRepeatableAndConsistent(t *testing.T) {
	get := func(seed int64, path string) string {
		return call(t, start(t, New(Options{Token: "org-token", Seed: seed})), "GET", path, bearer, "").body
	}
	if get(1, "/api/v2/apps") != get(1, "/api/v2/apps") {
		t.Fatal("the same seed listed different items")
	}
	if get(1, "/api/v2/apps") == get(2, "/api/v2/apps") {
		t.Fatal("different seeds listed the same items")
	}
	var list struct{ Data []map[string]any }
	if err := json.Unmarshal([]byte(get(1, "/api/v2/apps")), &list); err != nil {
		t.Fatal(err)
	}
	first := list.Data[0]
	var item struct{ Data map[string]any }
	if err := json.Unmarshal([]byte(get(1, "/api/v2/apps/"+first["id"].(string))), &item); err != nil {
		t.Fatal(err)
	}
	for k, v := range first {
		if item.Data[k] != v {
			t.Fatalf("listed %v but fetched %v", first, item.Data)
		}
	}
}
