package jsonpatch

import (
	"encoding/json"
	"testing"
)

func TestApplyPatch(t *testing.T) {
	cases := []struct {
		name, ops, want string
		fails           bool
	}{
		{"replace a field", `[{"op":"replace","path":"/name","value":"B"}]`, `{"name":"B","meta":{"a":1},"tags":["x","y"]}`, false},
		{"a path without its slash", `[{"op":"replace","path":"name","value":"B"}]`, `{"name":"B","meta":{"a":1},"tags":["x","y"]}`, false},
		{"add a nested field", `[{"op":"add","path":"/meta/b","value":2}]`, `{"name":"A","meta":{"a":1,"b":2},"tags":["x","y"]}`, false},
		{"remove a nested field", `[{"op":"remove","path":"/meta/a"}]`, `{"name":"A","meta":{},"tags":["x","y"]}`, false},
		{"append to a list", `[{"op":"add","path":"/tags/-","value":"z"}]`, `{"name":"A","meta":{"a":1},"tags":["x","y","z"]}`, false},
		{"insert into a list", `[{"op":"add","path":"/tags/0","value":"w"}]`, `{"name":"A","meta":{"a":1},"tags":["w","x","y"]}`, false},
		{"remove from a list", `[{"op":"remove","path":"/tags/0"}]`, `{"name":"A","meta":{"a":1},"tags":["y"]}`, false},
		{"move a field", `[{"op":"move","from":"/name","path":"/meta/name"}]`, `{"meta":{"a":1,"name":"A"},"tags":["x","y"]}`, false},
		{"copy a field", `[{"op":"copy","from":"/name","path":"/title"}]`, `{"name":"A","title":"A","meta":{"a":1},"tags":["x","y"]}`, false},
		{"a passing test", `[{"op":"test","path":"/meta/a","value":1}]`, `{"name":"A","meta":{"a":1},"tags":["x","y"]}`, false},
		{"a failing test", `[{"op":"test","path":"/name","value":"Z"}]`, "", true},
		{"replace a missing field", `[{"op":"replace","path":"/nope","value":1}]`, "", true},
		{"remove a missing field", `[{"op":"remove","path":"/nope"}]`, "", true},
		{"an unknown op", `[{"op":"frob","path":"/name"}]`, "", true},
		{"no operations", `{}`, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var doc map[string]any
			_ = json.Unmarshal([]byte(`{"name":"A","meta":{"a":1},"tags":["x","y"]}`), &doc)
			var ops any
			_ = json.Unmarshal([]byte(c.ops), &ops)
			err := Apply(doc, ops)
			if c.fails {
				if err == nil {
					t.Fatalf("applied: %v", doc)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			_ = json.Unmarshal([]byte(c.want), &want)
			if !Equal(doc, want) {
				t.Fatalf("got %v, want %v", doc, want)
			}
		})
	}
}
