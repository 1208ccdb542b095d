package oas

import "testing"

func TestFindPrefersStaticSegments(t *testing.T) {
	sp := loadSpec(t)
	if len(sp.Ops) != 144 {
		t.Fatalf("%d operations in the data file, want 144", len(sp.Ops))
	}
	cases := []struct{ method, path, want string }{
		{"PUT", "/api/v2/users/reset2fa/user_1", "/api/v2/users/reset2fa/{userId}"},
		{"POST", "/api/v2/apps/cloneApp", "/api/v2/apps/cloneApp"},
		{"GET", "/api/v2/apps/cloneApp", "/api/v2/apps/{appId}"},
		{"PUT", "/api/v2/source_control/manifests/m/apps/a", "/api/v2/source_control/manifests/{manifestName}/apps/{appUuid}"},
		{"GET", "/api/v2/source_control/releases/apps/a", "/api/v2/source_control/releases/apps/{appUuid}"},
		{"GET", "/api/v2/source_control/releases/e", "/api/v2/source_control/releases/{elementUuid}"},
		{"GET", "/api/v2/organization", "/api/v2/organization/"},
		{"HEAD", "/API/V2/Users/", "/api/v2/users"},
		{"GET", "/api/v2/access_tokens/t1", "/api/v2/access_tokens/{accessTokenId}"},
		{"DELETE", "/api/v2/users", ""},
		{"GET", "/api/v2/users/..", ""},
	}
	for _, c := range cases {
		op, _ := sp.Find(c.method, c.path)
		got := ""
		if op != nil {
			got = op.Template
		}
		if got != c.want {
			t.Errorf("%s %s matched %q, want %q", c.method, c.path, got, c.want)
		}
	}
	for _, op := range sp.Ops {
		if got, _ := sp.Find(op.Method, op.Template); got != op {
			t.Errorf("%s %s does not match itself", op.Method, op.Template)
		}
	}
}

func TestFindNamesThePathParameters(t *testing.T) {
	op, params := loadSpec(t).Find("DELETE", "/api/v2/groups/7/members/user_1")
	if op == nil || params["groupId"] != "7" || params["userSid"] != "user_1" {
		t.Fatalf("matched %v with %v", op, params)
	}
}
