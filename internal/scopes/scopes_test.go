package scopes

import (
	"strings"
	"testing"
)

func TestGrants(t *testing.T) {
	cases := []struct {
		name  string
		held  []string
		need  string
		allow bool
	}{
		{"write implies read", []string{"users:write"}, "users:read", true},
		{"read does not imply write", []string{"users:read"}, "users:write", false},
		{"another family is not granted", []string{"users:write"}, "groups:read", false},
		{"star grants everything", []string{"*"}, "permissions:write", true},
		{"star-read grants reads of any family", []string{"*:read"}, "groups:read", true},
		{"star-read does not grant writes", []string{"*:read"}, "groups:write", false},
		{"a bare family grants all its levels", []string{"source_control"}, "source_control:deploy", true},
		{"write does not imply deploy", []string{"source_control:write"}, "source_control:deploy", false},
		{"case is folded", []string{"Users:Write"}, "users:read", true},
		{"the empty set grants nothing", nil, "users:read", false},
		{"an exact requirement is granted by itself", []string{"access_tokens:create"}, "=access_tokens:create", true},
		{"star does not grant an exact requirement", []string{"*"}, "=access_tokens:create", false},
		{"star-level does not grant an exact requirement", []string{"*:create"}, "=access_tokens:create", false},
		{"star-write does not grant an exact write", []string{"*:write"}, "=sso:write", false},
		{"a bare family does not grant an exact requirement", []string{"access_tokens"}, "=access_tokens:create", false},
		{"family-star does not grant an exact requirement", []string{"access_tokens:*"}, "=access_tokens:create", false},
		{"star-read does not grant an exact read", []string{"*:read"}, "=configuration_variables:read", false},
		{"write does not imply an exact read", []string{"configuration_variables:write"}, "=configuration_variables:read", false},
		{"another level of the family does not grant it", []string{"access_tokens:read"}, "=access_tokens:create", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := ParseSet(c.held)
			if err != nil {
				t.Fatal(err)
			}
			text, exact := strings.CutPrefix(c.need, "=") // "=x": x required exactly
			need, err := Parse(text)
			if err != nil {
				t.Fatal(err)
			}
			if exact {
				need = need.Exactly()
			}
			if got := set.Allows(need); got != c.allow {
				t.Fatalf("%v allows %v = %v, want %v", c.held, c.need, got, c.allow)
			}
		})
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", ":", "users:", "us ers:read", "users:re/ad", "users:read:x"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted a malformed scope", in)
		}
	}
}
