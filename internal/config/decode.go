package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/budgetgw/gateway/internal/suggest"
)

// A file is read in two passes. The first walks the YAML tree against the yaml tags of
// Config and reports every unknown key and every value of the wrong shape, with its key
// path and line, in words an operator knows ("a duration like 60s"), never Go's type
// names. Only a tree that passes is decoded. The walk also records where each key was
// written, so later (validation) errors can name the line too.

// decoded is what the first pass learnt besides the errors.
type decoded struct {
	lines map[string]int // key path -> line
	zeros []string       // key paths written with a zero value (0, 0s, "")
}

var (
	durationType  = reflect.TypeOf(time.Duration(0))
	timeType      = reflect.TypeOf(time.Time{})
	unmarshalerT  = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	textUnmarshal = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// maxDepth bounds the walk: an alias loop (`a: &x [*x]`) must end, not recurse forever.
const maxDepth = 32

type walker struct {
	d    decoded
	errs []error
}

func (w *walker) bad(path string, n *yaml.Node, format string, args ...any) {
	w.errs = append(w.errs, &FieldError{Path: path, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

// FieldError is one problem in the file: the key path, the line (0: unknown) and what is
// wrong, said so that the fix is obvious.
type FieldError struct {
	Path string
	Line int
	Msg  string
}

func (e *FieldError) Error() string {
	switch {
	case e.Line > 0 && e.Path != "":
		return fmt.Sprintf("%s (line %d): %s", e.Path, e.Line, e.Msg)
	case e.Path != "":
		return e.Path + ": " + e.Msg
	default:
		return e.Msg
	}
}

// checkTree walks root (a document node) against t.
func checkTree(root *yaml.Node, t reflect.Type) (decoded, error) {
	w := &walker{d: decoded{lines: map[string]int{}}}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	w.walk("", n, t, 0)
	return w.d, errors.Join(w.errs...)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (w *walker) walk(path string, n *yaml.Node, t reflect.Type, depth int) {
	if depth > maxDepth {
		w.bad(path, n, "nested too deeply (an alias that refers to itself?)")
		return
	}
	if n.Kind == yaml.AliasNode {
		w.walk(path, n.Alias, t, depth+1)
		return
	}
	if path != "" {
		if _, seen := w.d.lines[path]; !seen {
			w.d.lines[path] = n.Line
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value: the default
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != durationType && t != timeType && (reflect.PointerTo(t).Implements(unmarshalerT) || reflect.PointerTo(t).Implements(textUnmarshal)) {
		return // the type reads itself; the decode pass reports its errors
	}
	switch {
	case t == durationType:
		w.duration(path, n)
	case t == timeType:
		var v time.Time
		if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
			w.bad(path, n, "must be a time like 2030-01-31T00:00:00Z, not %s", show(n))
		}
	case t.Kind() == reflect.Struct:
		w.mapping(path, n, t, depth)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.bad(path, n, "must be a list (- item, or [a, b]), not %s", show(n))
			return
		}
		for i, e := range n.Content {
			w.walk(fmt.Sprintf("%s[%d]", path, i), e, t.Elem(), depth+1)
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.bad(path, n, "must be a map of key: value, not %s", show(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.walk(join(path, n.Content[i].Value), n.Content[i+1], t.Elem(), depth+1)
		}
	default:
		w.scalar(path, n, t)
	}
}

func (w *walker) duration(path string, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode {
		w.bad(path, n, "must be a duration like 60s, 250ms or 1h30m, not %s", show(n))
		return
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		if _, isNum := strconv.ParseFloat(n.Value, 64); isNum == nil {
			w.bad(path, n, "must be a duration like %ss (a number needs a unit: ms, s, m, h), not %s", n.Value, n.Value)
			return
		}
		w.bad(path, n, "must be a duration like 60s, 250ms or 1h30m, not %q", n.Value)
		return
	}
	if d == 0 {
		w.d.zeros = append(w.d.zeros, path)
	}
}

func (w *walker) scalar(path string, n *yaml.Node, t reflect.Type) {
	if n.Kind != yaml.ScalarNode {
		w.bad(path, n, "must be a single value, not %s", show(n))
		return
	}
	switch t.Kind() {
	case reflect.String:
		if n.Value == "" {
			w.d.zeros = append(w.d.zeros, path)
		}
	case reflect.Bool:
		if n.Tag != "!!bool" {
			w.bad(path, n, "must be true or false, not %q", n.Value)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, t.Bits())
		if n.Tag != "!!int" || err != nil {
			w.bad(path, n, "must be a whole number, not %q", n.Value)
		} else if v == 0 {
			w.d.zeros = append(w.d.zeros, path)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if _, err := strconv.ParseUint(n.Value, 0, t.Bits()); n.Tag != "!!int" || err != nil {
			w.bad(path, n, "must be a whole number >= 0, not %q", n.Value)
		}
	case reflect.Float32, reflect.Float64:
		if n.Tag != "!!int" && n.Tag != "!!float" {
			w.bad(path, n, "must be a number, not %q", n.Value)
		}
	}
}

// mapping checks a struct's keys: each must be one of its yaml tags (inline structs
// included), once.
func (w *walker) mapping(path string, n *yaml.Node, t reflect.Type, depth int) {
	if n.Kind != yaml.MappingNode {
		w.bad(path, n, "must be a map of keys (%s), not %s", strings.Join(fieldNames(t), ", "), show(n))
		return
	}
	fields := yamlFields(t)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" { // a merge key: check what it brings in, here
			w.walk(path, v, t, depth+1)
			continue
		}
		kp := join(path, k.Value)
		ft, ok := fields[k.Value]
		if !ok {
			w.bad(kp, k, "unknown key %q%s (known here: %s)", k.Value, suggest.DidYouMean(k.Value, fieldNames(t)), strings.Join(fieldNames(t), ", "))
			continue
		}
		if seen[k.Value] {
			w.bad(kp, k, "is set twice")
			continue
		}
		seen[k.Value] = true
		w.d.lines[kp] = k.Line
		w.walk(kp, v, ft, depth+1)
	}
}

// yamlFields maps each yaml key of struct t to its field type, following inline fields.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range fieldsOf(t) {
		out[f.key] = f.t
	}
	return out
}

type yamlField struct {
	key string
	t   reflect.Type
}

func fieldsOf(t reflect.Type) func(func(yamlField) bool) {
	return func(yield func(yamlField) bool) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if slices.Contains(strings.Split(opts, ","), "inline") {
				for sub := range fieldsOf(f.Type) {
					if !yield(sub) {
						return
					}
				}
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if !yield(yamlField{name, f.Type}) {
				return
			}
		}
	}
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for f := range fieldsOf(t) {
		names = append(names, f.key)
	}
	return names
}

// show describes a node for an error: its value when short, else its shape.
func show(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if len(n.Value) > 40 {
			return fmt.Sprintf("%q...", n.Value[:40])
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "this"
}

// KeyPaths lists every key path Config accepts, lists written as name[], in the order of
// the structs: the documentation's configuration table is checked against it.
func KeyPaths() []string {
	var out []string
	var visit func(prefix string, t reflect.Type, depth int)
	visit = func(prefix string, t reflect.Type, depth int) {
		for f := range fieldsOf(t) {
			p := join(prefix, f.key)
			ft := f.t
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			list := ft.Kind() == reflect.Slice
			if list {
				p += "[]"
				ft = ft.Elem()
			}
			out = append(out, p)
			if ft.Kind() == reflect.Struct && ft != timeType && depth < 4 {
				visit(p, ft, depth+1)
			}
		}
	}
	visit("", reflect.TypeOf(Config{}), 0)
	return out
}
