package openapi

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

// These tests need only the route table: the fallback is ours, built from it.

func TestWithNoSuccessfulFetchTheFallbackFromTheTableIsServed(t *testing.T) {
	t.Parallel()
	tab := retoolTable(t)
	s := newSpec(t, nil, nil) // its Fetch always fails
	if err := s.Refresh(context.Background()); err == nil {
		t.Fatal("the failing fetch succeeded")
	}
	w := get(t, s, "*")
	if src := w.Header().Get("Gateway-Spec-Source"); src != SourceFallback {
		t.Fatalf("Gateway-Spec-Source = %q, want fallback", src)
	}
	doc := validate(t, w.Body.Bytes())
	d := decode(t, w.Body.Bytes())
	if got, want := d.operations(), routeIDs(tab, func(*routes.Route) bool { return true }); !slices.Equal(got, want) || len(got) != 144 {
		t.Fatalf("the fallback lists %d operations, want the table's %d", len(got), len(want))
	}
	if d.Servers[0].URL != "http://gw.internal/api/v2" {
		t.Fatalf("server %s", d.Servers[0].URL)
	}

	users := doc.Paths.Find("/users")
	if users == nil || users.Get == nil || users.Get.Summary != "GET /users (users:read, 2 points)" {
		t.Fatalf("GET /users is %+v", users)
	}
	one := doc.Paths.Find("/users/{userId}")
	if one == nil || one.Get == nil || len(one.Get.Parameters) != 1 || one.Get.Parameters[0].Value.Name != "userId" ||
		one.Get.Parameters[0].Value.In != "path" || !one.Get.Parameters[0].Value.Required {
		t.Fatalf("GET /users/{userId} does not declare its path parameter: %+v", one)
	}
}

func TestTheFallbackIsFilteredLikeTheUpstreamsDocument(t *testing.T) {
	t.Parallel()
	tab := retoolTable(t)
	s := newSpec(t, nil, func(o *Options) { o.TokenScopes = scopes.MustParseSet("users", "apps:read") })
	w := get(t, s, "users:read", "apps:write")
	validate(t, w.Body.Bytes())
	got := decode(t, w.Body.Bytes()).operations()
	want := routeIDs(tab, func(r *routes.Route) bool {
		return r.Scope.String() == "users:read" || r.Scope.String() == "apps:read"
	})
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestTheFallbackGivesOneSpellingToPathsOfOneShape(t *testing.T) {
	t.Parallel()
	p := &routes.Profile{Name: "tiny", DefaultCost: 1}
	tab, err := routes.Compile(p, []routes.Spec{
		{Method: "GET", Path: "/api/v2/things/{thingId}", Family: "things", Scope: "things:read"},
		{Method: "DELETE", Path: "/api/v2/things/{id}", Family: "things", Scope: "things:write"},
		{Method: "GET", Path: "/v1/elsewhere", Family: "things", Scope: "things:read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := fallbackDocument("tiny", tab)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, data)
	var d struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Summary     string `json:"summary"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	item, ok := d.Paths["/things/{thingId}"]
	if len(d.Paths) != 1 || !ok || len(item) != 2 {
		t.Fatalf("paths %v: want both methods under /things/{thingId}, and nothing outside /api/v2", d.Paths)
	}
	if item["delete"].Summary != "DELETE /things/{thingId} (things:write, 1 point)" || item["delete"].OperationID != "delete_things_thingId" {
		t.Fatalf("DELETE is %+v", item["delete"])
	}
}
