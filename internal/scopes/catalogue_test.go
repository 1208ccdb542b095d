package scopes

import (
	"strings"
	"testing"
)

func TestTheCatalogueRefusesTyposWithTheClosestName(t *testing.T) {
	c := NewCatalogue(
		Scope{Family: "users", Level: "read"}, Scope{Family: "users", Level: "write"}, Scope{Family: "groups", Level: "read"}, Scope{Family: "apps", Level: "read"},
		Scope{Family: "source_control", Level: "deploy"}, Scope{Family: "access_tokens", Level: "create"},
	)
	for _, ok := range []string{"*", "*:read", "*:write", "*:deploy", "users", "users:read", "users:write", "groups:write",
		"source_control:deploy", "access_tokens:create", "apps:*"} {
		if err := c.Check(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"user:read":           "did you mean users:read?",
		"groups:wirte":        "did you mean groups:write?",
		"appz:raed":           "did you mean apps:read?",
		"users:raed":          "did you mean users:read?",
		"source_control:depl": "did you mean source_control:deploy?",
		"*:launch":            "unknown scope",
		"widgets:read":        "no route requires it",
	} {
		err := c.Check(bad)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v; want %q", bad, err, want)
		}
	}
	if err := c.CheckAll([]string{"users:read", "user:read", "groups:wirte"}); err == nil || strings.Count(err.Error(), "unknown scope") != 2 {
		t.Errorf("CheckAll = %v; want both typos named", err)
	}
}

func TestAnEmptyCatalogueChecksOnlySyntax(t *testing.T) {
	var c *Catalogue
	if err := c.Check("anything:goes"); err != nil {
		t.Fatal(err)
	}
	if err := c.Check("bad scope"); err == nil {
		t.Fatal("a malformed scope passed")
	}
}
