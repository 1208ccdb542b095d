package routes

import (
	"strings"
	"testing"
	"time"
)

func TestEveryBuiltInProfileCompiles(t *testing.T) {
	names := ProfileNames()
	if strings.Join(names, ",") != "retable-v1,retool-v2" {
		t.Fatalf("ProfileNames() = %v", names)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			tab := builtTable(t, n)
			for _, r := range tab.Routes() {
				if got := routeID(tab, r.Method, r.Template); got != r.ID {
					t.Errorf("its own template %s routes to %q", r.ID, got)
				}
			}
		})
	}
}

func TestProfileSettings(t *testing.T) {
	cases := []struct {
		name     string
		auth     ProfileAuth
		budget   ProfileBudget
		base     string
		defCost  int64
		nRoutes  int
		oneRoute string
		cost     int64
	}{
		{"retool-v2", ProfileAuth{Scheme: "bearer"}, ProfileBudget{300, time.Minute, time.Minute}, "/api/v2", 10, 145, // 144 operations and the public health probe
			"GET /api/v2/permissions/accessList/app/a1", 10},
		{"retable-v1", ProfileAuth{Scheme: "header", Header: "ApiKey"}, ProfileBudget{12, time.Second, time.Second}, "/v1/public", 1, 19,
			"DELETE /v1/public/retable/r1/data", 1},
	}
	for _, c := range cases {
		t.Run(c.name+" has its upstream's published limits", func(t *testing.T) {
			p, err := LoadProfile(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Auth != c.auth || p.Budget != c.budget || p.BasePath != c.base || p.DefaultCost != c.defCost || len(p.Routes) != c.nRoutes {
				t.Fatalf("got auth %+v budget %+v base %s default %d, %d routes", p.Auth, p.Budget, p.BasePath, p.DefaultCost, len(p.Routes))
			}
			tab, _ := Compile(p, nil)
			method, path, _ := strings.Cut(c.oneRoute, " ")
			if r, ok := tab.Match(method, path); !ok || r.Cost != c.cost {
				t.Fatalf("%s: route %v, want cost %d", c.oneRoute, r, c.cost)
			}
		})
	}
}

func TestLoadProfileNamesTheKnownOnes(t *testing.T) {
	for _, name := range []string{"nope", "../routes/profiles/retool-v2", ""} {
		_, err := LoadProfile(name)
		if err == nil || !strings.Contains(err.Error(), "known: retable-v1, retool-v2") {
			t.Errorf("LoadProfile(%q) error = %v", name, err)
		}
	}
}

func TestLoadProfileReturnsAFreshCopy(t *testing.T) {
	a, _ := LoadProfile("retool-v2")
	a.Routes[0].Scope = "changed:write"
	b, _ := LoadProfile("retool-v2")
	if b.Routes[0].Scope == "changed:write" {
		t.Fatal("profiles share state between loads")
	}
}

func TestDecodeProfileIsStrict(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"a misspelt key is an error", "name: x\nauth: {scheme: bearer}\nbudget: {capacity: 1, window: 1s}\nroute: []\n", "field route not found"},
		{"an unknown auth scheme is an error", "name: x\nauth: {scheme: basic}\nbudget: {capacity: 1, window: 1s}\n", "auth.scheme"},
		{"a header scheme needs a header", "name: x\nauth: {scheme: header}\nbudget: {capacity: 1, window: 1s}\n", "auth.header"},
		{"a budget needs a capacity and a window", "name: x\nauth: {scheme: bearer}\n", "budget.capacity: 0 is not positive\nbudget.window"},
		{"a family cost must be positive", "name: x\nauth: {scheme: bearer}\nbudget: {capacity: 1, window: 1s}\nfamilies: {users: 0}\n", "families.users: cost 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeProfile([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want %q", err, c.want)
			}
		})
	}
}
