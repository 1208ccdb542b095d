package retoolv2

//go:generate go run ./internal/gen -in ../../../../shared/retool/openapi-2.12.0.json -out retool-v2.json

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// retoolV2 is our compact derivation of Retool's OpenAPI document (see
// internal/gen): operations, statuses and schemas, without the prose.
//
//go:embed retool-v2.json
var retoolV2 []byte

// noBody marks a documented status whose answer has no body.
const noBody = -1

// spec is the decoded data file: what the API serves and what valid answers
// look like. It is built once and never changed, so servers share it.
type spec struct {
	version string
	ops     []*operation
}

// operation is one documented method and path.
type operation struct {
	method   string
	template string   // e.g. /api/v2/users/{userId}
	segs     []string // the template's segments; "{...}" is a parameter
	query    []string // query parameter names; required ones end in "!"
	body     *schema  // the JSON request body; nil when none is documented
	// responses maps each documented status to its body schema; a nil schema
	// means the status has no body.
	responses map[int]*schema
}

var loadSpec = sync.OnceValues(func() (*spec, error) {
	w, err := loadWire()
	if err != nil {
		return nil, err
	}
	return decodeSpec(w)
})

// loadWire reads the data file and applies what the recordings correct in
// it (recorded.go): everything the sandbox answers and the document it
// serves come from this one description.
var loadWire = sync.OnceValues(func() (*wireSpec, error) {
	w, err := readWire(retoolV2)
	if err != nil {
		return nil, err
	}
	followRecordings(w)
	return w, nil
})

// wireNode is one schema as the data file stores it; internal/gen writes it.
type wireNode struct {
	Type       string          `json:"type"`
	Nullable   bool            `json:"nullable"`
	Enum       []any           `json:"enum"`
	Format     string          `json:"format"`
	Pattern    string          `json:"pattern"`
	MinLength  *int            `json:"minLength"`
	MaxLength  *int            `json:"maxLength"`
	Minimum    *float64        `json:"minimum"`
	Maximum    *float64        `json:"maximum"`
	Properties map[string]int  `json:"properties"`
	Required   []string        `json:"required"`
	Closed     bool            `json:"closed"`
	Extra      *int            `json:"extra"`
	Items      *int            `json:"items"`
	AnyOf      []int           `json:"anyOf"`
	OneOf      []int           `json:"oneOf"`
	Default    json.RawMessage `json:"default"`
}

// wireSpec is the data file as stored.
type wireSpec struct {
	About      string     `json:"about"`
	Version    string     `json:"version"`
	Operations []wireOp   `json:"operations"`
	Schemas    []wireNode `json:"schemas"`
}

type wireOp struct {
	Method    string         `json:"method"`
	Path      string         `json:"path"`
	Query     []string       `json:"query,omitempty"`
	Body      *int           `json:"body,omitempty"`
	Responses map[string]int `json:"responses"`
}

func readWire(data []byte) (*wireSpec, error) {
	raw := &wireSpec{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // the generator and this decoder must agree on every field
	if err := dec.Decode(raw); err != nil {
		return nil, fmt.Errorf("decode retool-v2.json: %w", err)
	}
	return raw, nil
}

func decodeSpec(raw *wireSpec) (*spec, error) {
	schemas, err := resolveSchemas(raw.Schemas)
	if err != nil {
		return nil, err
	}
	at := func(i int) (*schema, error) {
		if i == noBody {
			return nil, nil
		}
		if i < 0 || i >= len(schemas) {
			return nil, fmt.Errorf("schema %d out of range", i)
		}
		return schemas[i], nil
	}
	s := &spec{version: raw.Version}
	for _, o := range raw.Operations {
		op := &operation{method: o.Method, template: o.Path, segs: splitPath(o.Path), query: o.Query, responses: map[int]*schema{}}
		if o.Body != nil {
			if op.body, err = at(*o.Body); err != nil {
				return nil, fmt.Errorf("%s %s body: %w", o.Method, o.Path, err)
			}
		}
		for st, i := range o.Responses {
			code, err := strconv.Atoi(st)
			if err != nil {
				return nil, fmt.Errorf("%s %s: status %q", o.Method, o.Path, st)
			}
			if op.responses[code], err = at(i); err != nil {
				return nil, fmt.Errorf("%s %s %s: %w", o.Method, o.Path, st, err)
			}
		}
		s.ops = append(s.ops, op)
	}
	return s, nil
}

// resolveSchemas turns indexes into pointers. Children always come before
// their parents in the file, so one pass in order suffices.
func resolveSchemas(nodes []wireNode) ([]*schema, error) {
	out := make([]*schema, len(nodes))
	for i, n := range nodes {
		ref := func(j int) (*schema, error) {
			if j < 0 || j >= i {
				return nil, fmt.Errorf("schema %d refers to %d", i, j)
			}
			return out[j], nil
		}
		refs := func(js []int) ([]*schema, error) {
			var l []*schema
			for _, j := range js {
				c, err := ref(j)
				if err != nil {
					return nil, err
				}
				l = append(l, c)
			}
			return l, nil
		}
		s := &schema{
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
			s.properties = map[string]*schema{}
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

// find matches a request path to an operation and its path parameters.
// Static segments beat parameters, position by position from the left, and
// match regardless of ASCII case, as the gateway's route table does. A
// trailing slash is ignored. HEAD is answered as GET.
func (s *spec) find(method, path string) (*operation, map[string]string) {
	if method == "HEAD" {
		method = "GET"
	}
	segs := splitPath(path)
	var best *operation
	for _, op := range s.ops {
		if op.method != method || len(op.segs) != len(segs) || !op.matches(segs) {
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
	for i, seg := range best.segs {
		if name, ok := paramName(seg); ok {
			params[name] = segs[i]
		}
	}
	return best, params
}

func (op *operation) matches(segs []string) bool {
	for i, seg := range op.segs {
		if _, param := paramName(seg); param {
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
func (op *operation) moreStatic(other *operation) bool {
	for i := range op.segs {
		_, a := paramName(op.segs[i])
		_, b := paramName(other.segs[i])
		if a != b {
			return b
		}
	}
	return false
}

func paramName(seg string) (string, bool) {
	if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// success is the operation's lowest documented 2xx status.
func (op *operation) success() int {
	best := 0
	for st := range op.responses {
		if st >= 200 && st < 300 && (best == 0 || st < best) {
			best = st
		}
	}
	return best
}

// documents reports whether the document lists status for the operation.
func (op *operation) documents(status int) bool {
	_, ok := op.responses[status]
	return ok
}
