package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// ignored keywords carry prose or examples only; they never change which
// bodies are valid.
var ignored = map[string]bool{"description": true, "title": true, "example": true}

// interner stores each distinct schema once; equal sub-schemas (the user
// object appears in dozens of places) share one index.
type interner struct {
	nodes []oas.WireNode
	index map[string]int
}

func newInterner() *interner { return &interner{index: map[string]int{}} }

func (in *interner) intern(s map[string]any, at string) (int, error) {
	n, err := in.build(s, at)
	if err != nil {
		return 0, err
	}
	key, err := json.Marshal(n)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", at, err)
	}
	if i, ok := in.index[string(key)]; ok {
		return i, nil
	}
	in.nodes = append(in.nodes, n)
	in.index[string(key)] = len(in.nodes) - 1
	return len(in.nodes) - 1, nil
}

// build converts one schema object, interning its children first.
func (in *interner) build(s map[string]any, at string) (oas.WireNode, error) {
	var n oas.WireNode
	var err error
	for _, k := range sortedKeys(s) {
		v := s[k]
		where := at + "." + k
		switch k {
		case "type":
			n.Type, err = str(v, where)
		case "nullable":
			n.Nullable, err = boolean(v, where)
		case "enum":
			n.Enum, err = list(v, where)
		case "format":
			n.Format, err = str(v, where)
		case "pattern":
			if n.Pattern, err = str(v, where); err == nil {
				_, err = regexp.Compile(n.Pattern)
			}
		case "minLength":
			n.MinLength, err = integer(v, where)
		case "maxLength":
			n.MaxLength, err = integer(v, where)
		case "minimum":
			n.Minimum, err = number(v, where)
		case "maximum":
			n.Maximum, err = number(v, where)
		case "required":
			n.Required, err = strs(v, where)
			sort.Strings(n.Required)
		case "properties":
			n.Properties, err = in.props(v, where)
		case "additionalProperties":
			err = in.additional(&n, v, where)
		case "items":
			n.Items, err = in.child(v, where)
		case "anyOf":
			n.AnyOf, err = in.children(v, where)
		case "oneOf":
			n.OneOf, err = in.children(v, where)
		case "default":
			n.Default, err = json.Marshal(v)
		default:
			if !ignored[k] {
				err = fmt.Errorf("%s: unknown schema keyword", where)
			}
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (in *interner) child(v any, at string) (*int, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a schema object", at)
	}
	i, err := in.intern(m, at)
	return &i, err
}

func (in *interner) children(v any, at string) ([]int, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a list", at)
	}
	out := make([]int, len(l))
	for j, e := range l {
		i, err := in.child(e, fmt.Sprintf("%s[%d]", at, j))
		if err != nil {
			return nil, err
		}
		out[j] = *i
	}
	return out, nil
}

func (in *interner) props(v any, at string) (map[string]int, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not an object", at)
	}
	out := make(map[string]int, len(m))
	for _, k := range sortedKeys(m) {
		i, err := in.child(m[k], at+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = *i
	}
	return out, nil
}

// additional reads additionalProperties: false closes the object, true (the
// default) says nothing, and a schema constrains every undeclared property.
func (in *interner) additional(n *oas.WireNode, v any, at string) error {
	switch x := v.(type) {
	case bool:
		n.Closed = !x
		return nil
	case map[string]any:
		i, err := in.child(x, at)
		n.Extra = i
		return err
	}
	return fmt.Errorf("%s: neither a boolean nor a schema", at)
}

func str(v any, at string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: not a string", at)
	}
	return s, nil
}

func boolean(v any, at string) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s: not a boolean", at)
	}
	return b, nil
}

func list(v any, at string) ([]any, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a list", at)
	}
	return l, nil
}

func strs(v any, at string) ([]string, error) {
	l, err := list(v, at)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(l))
	for i, e := range l {
		if out[i], err = str(e, at); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func number(v any, at string) (*float64, error) {
	f, ok := v.(float64)
	if !ok {
		return nil, fmt.Errorf("%s: not a number", at)
	}
	return &f, nil
}

func integer(v any, at string) (*int, error) {
	f, err := number(v, at)
	if err != nil {
		return nil, err
	}
	if *f != float64(int(*f)) || *f < 0 {
		return nil, fmt.Errorf("%s: not a non-negative integer", at)
	}
	i := int(*f)
	return &i, nil
}
