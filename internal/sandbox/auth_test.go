package sandbox

import (
	"net/http"
	"strings"
	"testing"
)

func TestKeyRouteAndScopeChecks(t *testing.T) {
	retool := Options{
		Token: "org-token",
		Cost: func(_, path string) (int64, bool) {
			return 2, strings.HasPrefix(path, "/api/v2/apps")
		},
		Allow: func(method, _ string) bool { return method == http.MethodGet },
	}
	retable := Options{Header: "ApiKey", Token: "rt-key", DisabledTokens: []string{"rt-old"}}
	cases := []struct {
		name   string
		opts   Options
		method string
		path   string
		header string
		want   int
		msg    string
	}{
		{"the right bearer token is accepted", retool, "GET", "/api/v2/apps", bearer, 200, ""},
		{"the scheme is matched without regard to case", retool, "GET", "/api/v2/apps", "Authorization: bearer org-token", 200, ""},
		{"a missing key is refused", retool, "GET", "/api/v2/apps", "", 401, "Missing"},
		{"a wrong token is refused", retool, "GET", "/api/v2/apps", "Authorization: Bearer guess", 401, "Invalid"},
		{"the right token under another scheme is refused", retool, "GET", "/api/v2/apps", "Authorization: Basic org-token", 401, "Missing"},
		{"the raw token without a scheme is refused", retool, "GET", "/api/v2/apps", "Authorization: org-token", 401, "Missing"},
		{"the key is checked before the route", retool, "GET", "/nope", "Authorization: Bearer guess", 401, "Invalid"},
		{"an unknown route is not found", retool, "GET", "/nope", bearer, 404, "Not found"},
		{"the route is checked before the scope", retool, "POST", "/nope", bearer, 404, "Not found"},
		{"a call outside the token's scopes is forbidden", retool, "POST", "/api/v2/apps", bearer, 403, "scope"},
		{"a raw key in its own header is accepted", retable, "GET", "/v1/public/workspace", "ApiKey: rt-key", 200, ""},
		{"a disabled key is locked", retable, "GET", "/v1/public/workspace", "ApiKey: rt-old", 423, "disabled"},
		{"a bearer prefix on a raw-key header is refused", retable, "GET", "/v1/public/workspace", "ApiKey: Bearer rt-key", 401, "Invalid"},
		{"an empty Token accepts no key at all", Options{}, "GET", "/x", "Authorization: Bearer ", 401, "Missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(c.opts)
			got := call(t, start(t, s), c.method, c.path, c.header, "")
			if got.status != c.want {
				t.Fatalf("status %d, want %d (body %s)", got.status, c.want, got.body)
			}
			if c.want >= 400 {
				if !strings.HasPrefix(got.body, `{"success":false,"message":"`) || !strings.Contains(got.body, c.msg) {
					t.Fatalf("body %s, want a Retool error mentioning %q", got.body, c.msg)
				}
			}
			arr := s.Arrivals()
			if len(arr) != 1 || arr[0].Status != c.want {
				t.Fatalf("arrivals %+v, want one with status %d", arr, c.want)
			}
			if c.want >= 400 && arr[0].Cost != 0 {
				t.Fatalf("a refused call was charged %d points", arr[0].Cost)
			}
		})
	}
}

func TestSetTokenRotatesTheAcceptedKey(t *testing.T) {
	s := New(Options{Token: "old"})
	ts := start(t, s)
	if got := call(t, ts, "GET", "/apps", "Authorization: Bearer old", ""); got.status != 200 {
		t.Fatalf("old token before rotation: %d", got.status)
	}
	s.SetToken("new")
	if got := call(t, ts, "GET", "/apps", "Authorization: Bearer old", ""); got.status != 401 {
		t.Fatalf("old token after rotation: %d, want 401", got.status)
	}
	if got := call(t, ts, "GET", "/apps", "Authorization: Bearer new", ""); got.status != 200 {
		t.Fatalf("new token after rotation: %d, want 200", got.status)
	}
}

func TestArrivalsRecordTheRequestAsReceived(t *testing.T) {
	s := New(Options{Token: "org-token"})
	ts := start(t, s)
	call(t, ts, "POST", "/api/v2/folders?dry=1", bearer, `{"name":"x"}`)
	arr := s.Arrivals()
	if len(arr) != 1 {
		t.Fatalf("%d arrivals, want 1", len(arr))
	}
	a := arr[0]
	if a.Method != "POST" || a.Path != "/api/v2/folders" || a.RawQuery != "dry=1" ||
		string(a.Body) != `{"name":"x"}` || a.Cost != 1 || a.Status != 201 ||
		a.Header.Get("Authorization") != "Bearer org-token" || a.At.IsZero() {
		t.Fatalf("recorded %+v", a)
	}
	arr[0].Header.Set("Authorization", "tampered")
	if s.Arrivals()[0].Header.Get("Authorization") != "Bearer org-token" {
		t.Fatal("Arrivals handed out the server's own header map")
	}
	s.Reset()
	if len(s.Arrivals()) != 0 {
		t.Fatal("Reset kept arrivals")
	}
}
