package scopes

import "testing"

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
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := ParseSet(c.held)
			if err != nil {
				t.Fatal(err)
			}
			need, err := Parse(c.need)
			if err != nil {
				t.Fatal(err)
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
