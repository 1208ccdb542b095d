package proxy_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/proxytest"
)

func TestTheOpenAPIDocumentIsServedPerCallerAndFree(t *testing.T) {
	g := proxytest.StartRetool(t, proxytest.RetoolOptions{Spec: true})
	if r := g.Call(t, "GET", "/api/v2/spec", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("without a key: %d; want 401", r.Status)
	}
	r := g.Call(t, "GET", "/api/v2/spec", g.Key(proxytest.Reader), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("spec: %d %s", r.Status, r.Body)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Servers []struct{ URL string }                `json:"servers"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Servers) != 1 || doc.Servers[0].URL != g.URL+"/api/v2" {
		t.Fatalf("openapi %q servers %v; want 3.x and %s/api/v2", doc.OpenAPI, doc.Servers, g.URL)
	}
	if len(doc.Paths) == 0 {
		t.Fatal("a users:read caller sees no operation")
	}
	table := proxytest.Table(t, "retool-v2")
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			rt, ok := table.Match(strings.ToUpper(method), "/api/v2"+strings.NewReplacer("{", "", "}", "").Replace(path))
			if !ok || rt.Scope.String() != "users:read" {
				t.Errorf("a users:read caller sees %s %s (needs %v)", method, path, rt)
			}
		}
	}
	if _, ok := doc.Paths["/users"]; !ok {
		t.Error("a users:read caller does not see GET /users")
	}
	if spent := g.Metric(t, "gateway_budget_points_admitted_total"); spent != 0 {
		t.Fatalf("reading the document spent %v points; want 0", spent)
	}
}
