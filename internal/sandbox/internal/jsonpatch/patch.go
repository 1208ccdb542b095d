// Package jsonpatch applies Retool's PATCH operations, which follow JSON Patch
// (RFC 6902), to decoded JSON (map[string]any, []any, float64, string, bool,
// nil), and compares and copies such values. It only transforms values it is
// given: it never reads a schema, keeps no state and does no I/O.
package jsonpatch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Apply applies Retool's PATCH operations, which follow JSON Patch
// (RFC 6902): add, remove, replace, and for folders move, copy and test.
// Paths are JSON pointers ("/name", "/metadata/team"); a path without the
// leading slash is read as if it had one. On error the document may be
// partly changed; callers patch a copy.
func Apply(doc map[string]any, ops any) error {
	list, ok := ops.([]any)
	if !ok {
		return errors.New("operations must be a list")
	}
	for i, raw := range list {
		op, _ := raw.(map[string]any)
		if err := applyOne(doc, op); err != nil {
			return fmt.Errorf("operations[%d]: %w", i, err)
		}
	}
	return nil
}

func applyOne(doc map[string]any, op map[string]any) error {
	kind, _ := op["op"].(string)
	path, _ := op["path"].(string)
	if path == "" || path == "/" {
		return errors.New("path must name a field")
	}
	value, hasValue := op["value"]
	switch kind {
	case "add", "replace":
		if !hasValue {
			return fmt.Errorf("%s needs a value", kind)
		}
		return set(doc, path, Clone(value), kind == "replace")
	case "remove":
		_, err := take(doc, path)
		return err
	case "move", "copy":
		from, _ := op["from"].(string)
		v, err := get(doc, from)
		if err != nil {
			return err
		}
		if kind == "move" {
			if _, err := take(doc, from); err != nil {
				return err
			}
		}
		return set(doc, path, Clone(v), false)
	case "test":
		v, err := get(doc, path)
		if err != nil {
			return err
		}
		if !Equal(v, value) {
			return fmt.Errorf("test failed at %s", path)
		}
		return nil
	}
	return fmt.Errorf("unknown op %q", kind)
}

func pointer(path string) []string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts
}

// parentOf walks to the container of the pointer's last token.
func parentOf(doc map[string]any, path string) (any, string, error) {
	parts := pointer(path)
	var cur any = doc
	for _, p := range parts[:len(parts)-1] {
		next, err := child(cur, p)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		cur = next
	}
	return cur, parts[len(parts)-1], nil
}

func child(cur any, token string) (any, error) {
	switch c := cur.(type) {
	case map[string]any:
		v, ok := c[token]
		if !ok {
			return nil, fmt.Errorf("no field %q", token)
		}
		return v, nil
	case []any:
		i, err := strconv.Atoi(token)
		if err != nil || i < 0 || i >= len(c) {
			return nil, fmt.Errorf("no element %q", token)
		}
		return c[i], nil
	}
	return nil, fmt.Errorf("cannot descend into %q", token)
}

func get(doc map[string]any, path string) (any, error) {
	parent, last, err := parentOf(doc, path)
	if err != nil {
		return nil, err
	}
	return child(parent, last)
}

// set writes value at path. Arrays are changed in place through their
// containing field, so the parent map is rewritten with the new slice.
func set(doc map[string]any, path string, value any, mustExist bool) error {
	parts := pointer(path)
	if len(parts) == 1 {
		if _, ok := doc[parts[0]]; mustExist && !ok {
			return fmt.Errorf("%s: no field %q", path, parts[0])
		}
		doc[parts[0]] = value
		return nil
	}
	holderPath := "/" + strings.Join(parts[:len(parts)-1], "/")
	holder, err := get(doc, holderPath)
	if err != nil {
		return err
	}
	last := parts[len(parts)-1]
	switch h := holder.(type) {
	case map[string]any:
		if _, ok := h[last]; mustExist && !ok {
			return fmt.Errorf("%s: no field %q", path, last)
		}
		h[last] = value
		return nil
	case []any:
		i := len(h)
		if last != "-" {
			if i, err = strconv.Atoi(last); err != nil || i < 0 || i > len(h) || mustExist && i == len(h) {
				return fmt.Errorf("%s: no element %q", path, last)
			}
		}
		switch {
		case mustExist:
			h[i] = value
		default:
			h = append(h[:i], append([]any{value}, h[i:]...)...)
		}
		return set(doc, holderPath, h, true)
	}
	return fmt.Errorf("%s: cannot set inside a %T", path, holder)
}

// take removes and returns the value at path.
func take(doc map[string]any, path string) (any, error) {
	parent, last, err := parentOf(doc, path)
	if err != nil {
		return nil, err
	}
	v, err := child(parent, last)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch p := parent.(type) {
	case map[string]any:
		delete(p, last)
	case []any:
		i, _ := strconv.Atoi(last)
		holder := strings.Join(pointer(path)[:len(pointer(path))-1], "/")
		return v, set(doc, "/"+holder, append(p[:i:i], p[i+1:]...), true)
	}
	return v, nil
}

// Equal compares JSON values deeply, numbers by value whatever their Go type.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	fa, okA := Number(a)
	fb, okB := Number(b)
	if okA || okB {
		return okA && okB && fa == fb
	}
	return a == b
}

// Number reads a JSON number whatever its Go type: float64 as decoded, or an
// int written by hand.
func Number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// Clone is a deep copy of a JSON value: changing it leaves v as it was.
func Clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = Clone(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = Clone(e)
		}
		return l
	}
	return v
}
