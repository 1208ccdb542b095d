package oas

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// DocumentInfo is what a rendered document says about itself: the base path
// its operations' paths sit under (the one server), and its title and
// description.
type DocumentInfo struct {
	Base, Title, Description string
}

// Document renders a data file as an OpenAPI 3.0 document: the operations and
// shapes it describes, without the original's prose. Every schema is a
// component (s0, s1, ...) referred to by $ref, as the data file refers by
// index. Every operation must sit under info.Base.
func Document(w *Wire, info DocumentInfo) ([]byte, error) {
	ref := func(i int) map[string]any { return map[string]any{"$ref": fmt.Sprintf("#/components/schemas/s%d", i)} }
	schemas := map[string]any{}
	for i, n := range w.Schemas {
		schemas[fmt.Sprintf("s%d", i)] = openAPISchema(n, ref)
	}
	paths := map[string]map[string]any{}
	for _, op := range w.Operations {
		rel, ok := strings.CutPrefix(op.Path, info.Base)
		if !ok {
			return nil, fmt.Errorf("operation %s %s is outside %s", op.Method, op.Path, info.Base)
		}
		var params []any
		for _, seg := range splitPath(rel) {
			if name, isParam := ParamName(seg); isParam {
				params = append(params, map[string]any{"name": name, "in": "path", "required": true,
					"schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range op.Query {
			name, required := strings.CutSuffix(q, "!")
			params = append(params, map[string]any{"name": name, "in": "query", "required": required,
				"schema": map[string]any{"type": "string"}})
		}
		o := map[string]any{}
		if params != nil {
			o["parameters"] = params
		}
		if op.Body != nil {
			o["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": ref(*op.Body)}}}
		}
		responses := map[string]any{}
		for st, i := range op.Responses {
			r := map[string]any{"description": "HTTP " + st}
			if i != NoBody {
				r["content"] = map[string]any{"application/json": map[string]any{"schema": ref(i)}}
			}
			responses[st] = r
		}
		o["responses"] = responses
		if paths[rel] == nil {
			paths[rel] = map[string]any{}
		}
		paths[rel][strings.ToLower(op.Method)] = o
	}
	doc := map[string]any{
		"openapi":    "3.0.3",
		"info":       map[string]any{"title": info.Title, "version": w.Version, "description": info.Description},
		"servers":    []any{map[string]any{"url": info.Base}},
		"security":   []any{map[string]any{"bearer": []any{}}},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
	return json.Marshal(doc)
}

// openAPISchema writes one data-file schema as an OpenAPI 3.0 schema object.
func openAPISchema(n WireNode, ref func(int) map[string]any) map[string]any {
	s := map[string]any{}
	set := func(k string, v any, present bool) {
		if present {
			s[k] = v
		}
	}
	set("type", n.Type, n.Type != "")
	set("nullable", true, n.Nullable)
	set("enum", n.Enum, len(n.Enum) > 0)
	set("format", n.Format, n.Format != "")
	set("pattern", n.Pattern, n.Pattern != "")
	set("minLength", n.MinLength, n.MinLength != nil)
	set("maxLength", n.MaxLength, n.MaxLength != nil)
	set("minimum", n.Minimum, n.Minimum != nil)
	set("maximum", n.Maximum, n.Maximum != nil)
	set("default", n.Default, len(n.Default) > 0)
	if len(n.Properties) > 0 {
		props := map[string]any{}
		for k, i := range n.Properties {
			props[k] = ref(i)
		}
		s["properties"] = props
	}
	if len(n.Required) > 0 {
		req := append([]string(nil), n.Required...)
		sort.Strings(req)
		s["required"] = req
	}
	switch {
	case n.Closed:
		s["additionalProperties"] = false
	case n.Extra != nil:
		s["additionalProperties"] = ref(*n.Extra)
	}
	switch {
	case n.Items != nil:
		s["items"] = ref(*n.Items)
	case n.Type == "array":
		s["items"] = map[string]any{} // OpenAPI 3.0 requires items; the data file says "anything"
	}
	refs := func(is []int) []any {
		out := make([]any, len(is))
		for j, i := range is {
			out[j] = ref(i)
		}
		return out
	}
	set("anyOf", refs(n.AnyOf), len(n.AnyOf) > 0)
	set("oneOf", refs(n.OneOf), len(n.OneOf) > 0)
	return s
}
