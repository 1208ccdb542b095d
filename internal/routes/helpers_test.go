package routes

import "testing"

// builtTable compiles a built-in profile with no overrides.
func builtTable(t testing.TB, profile string) *Table {
	t.Helper()
	p, err := LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Compile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// routeID is the matched route's ID, or "" when nothing matched.
func routeID(tab *Table, method, path string) string {
	if r, ok := tab.Match(method, path); ok {
		return r.ID
	}
	return ""
}
