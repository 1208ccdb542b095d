package oas

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Spec is a decoded data file: what an API serves and what valid answers
// look like. It is built once and never changed, so servers share it.
type Spec struct {
	Version string
	Ops     []*Operation
}

// Operation is one documented method and path.
type Operation struct {
	Method   string
	Template string   // e.g. /api/v2/users/{userId}
	Segs     []string // the template's segments; "{...}" is a parameter
	Query    []string // query parameter names; required ones end in "!"
	Body     *Schema  // the JSON request body; nil when none is documented
	// Responses maps each documented status to its body schema; a nil schema
	// means the status has no body.
	Responses map[int]*Schema
}

// Decode resolves a data file into a Spec.
func Decode(raw *Wire) (*Spec, error) {
	schemas, err := resolveSchemas(raw.Schemas)
	if err != nil {
		return nil, err
	}
	at := func(i int) (*Schema, error) {
		if i == NoBody {
			return nil, nil
		}
		if i < 0 || i >= len(schemas) {
			return nil, fmt.Errorf("schema %d out of range", i)
		}
		return schemas[i], nil
	}
	s := &Spec{Version: raw.Version}
	for _, o := range raw.Operations {
		op := &Operation{Method: o.Method, Template: o.Path, Segs: splitPath(o.Path), Query: o.Query, Responses: map[int]*Schema{}}
		if o.Body != nil {
			if op.Body, err = at(*o.Body); err != nil {
				return nil, fmt.Errorf("%s %s body: %w", o.Method, o.Path, err)
			}
		}
		for st, i := range o.Responses {
			code, err := strconv.Atoi(st)
			if err != nil {
				return nil, fmt.Errorf("%s %s: status %q", o.Method, o.Path, st)
			}
			if op.Responses[code], err = at(i); err != nil {
				return nil, fmt.Errorf("%s %s %s: %w", o.Method, o.Path, st, err)
			}
		}
		s.Ops = append(s.Ops, op)
	}
	return s, nil
}

// resolveSchemas turns indexes into pointers. Children always come before
// their parents in the file, so one pass in order suffices.
func resolveSchemas(nodes []WireNode) ([]*Schema, error) {
	out := make([]*Schema, len(nodes))
	for i, n := range nodes {
		ref := func(j int) (*Schema, error) {
			if j < 0 || j >= i {
				return nil, fmt.Errorf("schema %d refers to %d", i, j)
			}
			return out[j], nil
		}
		refs := func(js []int) ([]*Schema, error) {
			var l []*Schema
			for _, j := range js {
				c, err := ref(j)
				if err != nil {
					return nil, err
				}
				l = append(l, c)
			}
			return l, nil
		}
		s := &Schema{
			typ: n.Type, nullable: n.Nullable, enum: n.Enum, format: n.Format,
			minLength: n.MinLength, maxLength: n.MaxLength, minimum: n.Minimum, maximum: n.Maximum,
			required: n.Required, closed: n.Closed,
		}
		var err error
		if n.Pattern != "" {
			if s.pattern, err = regexp.Compile(n.Pattern); err != nil {
				return nil, fmt.Errorf("schema %d: %w", i, err)
			}
		}
		if len(n.Default) > 0 {
			if err := json.Unmarshal(n.Default, &s.def); err != nil {
				return nil, fmt.Errorf("schema %d default: %w", i, err)
			}
			s.hasDefault = true
		}
		if len(n.Properties) > 0 {
			s.properties = map[string]*Schema{}
			for k, j := range n.Properties {
				if s.properties[k], err = ref(j); err != nil {
					return nil, err
				}
			}
		}
		if n.Extra != nil {
			if s.extra, err = ref(*n.Extra); err != nil {
				return nil, err
			}
		}
		if n.Items != nil {
			if s.items, err = ref(*n.Items); err != nil {
				return nil, err
			}
		}
		if s.anyOf, err = refs(n.AnyOf); err != nil {
			return nil, err
		}
		if s.oneOf, err = refs(n.OneOf); err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// Find matches a request path to an operation and its path parameters.
// Static segments beat parameters, position by position from the left, and
// match regardless of ASCII case, as the gateway's route table does. A
// trailing slash is ignored. HEAD is answered as GET.
func (s *Spec) Find(method, path string) (*Operation, map[string]string) {
	if method == "HEAD" {
		method = "GET"
	}
	segs := splitPath(path)
	var best *Operation
	for _, op := range s.Ops {
		if op.Method != method || len(op.Segs) != len(segs) || !op.matches(segs) {
			continue
		}
		if best == nil || op.moreStatic(best) {
			best = op
		}
	}
	if best == nil {
		return nil, nil
	}
	params := map[string]string{}
	for i, seg := range best.Segs {
		if name, ok := ParamName(seg); ok {
			params[name] = segs[i]
		}
	}
	return best, params
}

func (op *Operation) matches(segs []string) bool {
	for i, seg := range op.Segs {
		if _, param := ParamName(seg); param {
			if segs[i] == "" || segs[i] == "." || segs[i] == ".." {
				return false
			}
			continue
		}
		if !strings.EqualFold(seg, segs[i]) {
			return false
		}
	}
	return true
}

// moreStatic reports whether op has a static segment where other, matching
// the same path, first has a parameter.
func (op *Operation) moreStatic(other *Operation) bool {
	for i := range op.Segs {
		_, a := ParamName(op.Segs[i])
		_, b := ParamName(other.Segs[i])
		if a != b {
			return b
		}
	}
	return false
}

// ParamName is the name of a template segment's parameter ("{userId}" is
// "userId"); false for a static segment.
func ParamName(seg string) (string, bool) {
	if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// Success is the operation's lowest documented 2xx status.
func (op *Operation) Success() int {
	best := 0
	for st := range op.Responses {
		if st >= 200 && st < 300 && (best == 0 || st < best) {
			best = st
		}
	}
	return best
}

// Documents reports whether the document lists status for the operation.
func (op *Operation) Documents(status int) bool {
	_, ok := op.Responses[status]
	return ok
}

// Schemas lists every schema the operations reach, each once, in a fixed
// order: what a test walks to prove a property of them all.
func (s *Spec) Schemas() []*Schema {
	seen := map[*Schema]bool{}
	var out []*Schema
	var walk func(*Schema)
	walk = func(sc *Schema) {
		if sc == nil || seen[sc] {
			return
		}
		seen[sc] = true
		out = append(out, sc)
		for _, c := range sc.children() {
			walk(c)
		}
	}
	for _, op := range s.Ops {
		walk(op.Body)
		statuses := make([]int, 0, len(op.Responses))
		for st := range op.Responses {
			statuses = append(statuses, st)
		}
		sort.Ints(statuses)
		for _, st := range statuses {
			walk(op.Responses[st])
		}
	}
	return out
}
