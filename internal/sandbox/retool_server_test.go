package sandbox

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

// TestScopesBudgetAndRoutesComeFromTheRouteTable runs the stand-in the way
// `gateway sandbox` does: costs and 404s from the retool-v2 route table, a
// token holding some scopes.
func TestScopesBudgetAndRoutesComeFromTheRouteTable(t *testing.T) {
	table, err := routes.Build("retool-v2", "retool-v2", nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	o := Options{Token: "org-token", API: RetoolV2, Seed: 1, Capacity: 10, Window: time.Minute, Lockout: time.Minute, Now: clock.Now}
	o.UseRoutes(table)
	o.UseScopes(table, scopes.MustParseSet("users:read", "groups:write"))
	s := New(o)
	cases := []struct {
		method, path string
		want         int
		msg          string
	}{
		{"GET", "/api/v2/users", 200, ""},             // 2 points
		{"POST", "/api/v2/users", 403, "users:write"}, // refused before charging
		{"GET", "/api/v2/groups", 200, ""},            // 5 points: write implies read
		{"GET", "/api/v2/apps", 403, "apps:read"},
		{"GET", "/api/v2/nope", 404, "Not found"},
		{"GET", "/api/v2/users", 200, ""},           // 9 points
		{"GET", "/api/v2/users", 429, "Rate limit"}, // 11 > 10: locked out
		{"GET", "/api/v2/groups", 429, "Rate limit"},
	}
	for i, c := range cases {
		req := httptest.NewRequest(c.method, c.path, nil)
		req.Header.Set("Authorization", "Bearer org-token")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != c.want || !strings.Contains(rec.Body.String(), c.msg) {
			t.Fatalf("call %d %s %s: %d %s, want %d mentioning %q", i, c.method, c.path, rec.Code, rec.Body.String(), c.want, c.msg)
		}
	}
	if got := s.MaxWindowPoints(time.Minute); got != 9 {
		t.Fatalf("charged %d points, want 9", got)
	}
}
