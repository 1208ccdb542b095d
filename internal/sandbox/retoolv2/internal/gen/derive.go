package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// basePath is where the document's paths are served; the document's own
// server is "./".
const basePath = "/api/v2"

// noBody marks a documented status whose answer has no JSON body.
const noBody = -1

// operation is one row of the data file.
type operation struct {
	Method string `json:"method"`
	Path   string `json:"path"` // under basePath, parameters as {name}
	// Query lists the query parameters; a trailing "!" marks a required one.
	Query []string `json:"query,omitempty"`
	// Body is the JSON request body's schema; nil when the operation takes
	// none or only another media type.
	Body *int `json:"body,omitempty"`
	// Responses maps each documented status to its body schema, or noBody.
	Responses map[string]int `json:"responses"`
}

// derived is the whole data file.
type derived struct {
	Version    string      `json:"version"`
	Operations []operation `json:"operations"`
	Schemas    []node      `json:"schemas"`
}

var httpMethods = map[string]bool{"get": true, "head": true, "post": true, "put": true, "patch": true, "delete": true}

// colonParam is the document's other spelling of a path parameter (one path
// writes ":accessTokenId").
var colonParam = regexp.MustCompile(`/:([A-Za-z_][A-Za-z0-9_]*)`)

type rawOp struct {
	Parameters []struct {
		In       string `json:"in"`
		Name     string `json:"name"`
		Required bool   `json:"required"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

func derive(doc []byte) (*derived, error) {
	var raw struct {
		Info  struct{ Version string } `json:"info"`
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	d := &derived{Version: raw.Info.Version}
	in := newInterner()
	for _, path := range sortedKeys(raw.Paths) {
		item := raw.Paths[path]
		for _, method := range sortedKeys(item) {
			if !httpMethods[method] {
				continue // "parameters", "summary" and such apply to the whole path
			}
			var ro rawOp
			if err := json.Unmarshal(item[method], &ro); err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			op, err := deriveOp(in, strings.ToUpper(method), path, ro)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", strings.ToUpper(method), path, err)
			}
			d.Operations = append(d.Operations, op)
		}
	}
	sort.SliceStable(d.Operations, func(i, j int) bool {
		a, b := d.Operations[i], d.Operations[j]
		return a.Path+" "+a.Method < b.Path+" "+b.Method
	})
	d.Schemas = in.nodes
	return d, nil
}

func deriveOp(in *interner, method, path string, ro rawOp) (operation, error) {
	op := operation{
		Method:    method,
		Path:      basePath + colonParam.ReplaceAllString(path, "/{$1}"),
		Responses: map[string]int{},
	}
	for _, p := range ro.Parameters {
		if p.In != "query" {
			continue
		}
		name := p.Name
		if p.Required {
			name += "!"
		}
		op.Query = append(op.Query, name)
	}
	if ro.RequestBody != nil {
		if c, ok := ro.RequestBody.Content["application/json"]; ok { // others (multipart) are not checked
			i, err := in.intern(c.Schema, "body")
			if err != nil {
				return op, err
			}
			op.Body = &i
		}
	}
	if len(ro.Responses) == 0 {
		return op, fmt.Errorf("no responses")
	}
	for _, status := range sortedKeys(ro.Responses) {
		r := ro.Responses[status]
		if _, err := strconv.Atoi(status); err != nil {
			return op, fmt.Errorf("response %q: only numeric statuses are supported", status)
		}
		if len(r.Content) == 0 {
			op.Responses[status] = noBody
			continue
		}
		c, ok := r.Content["application/json"]
		if !ok {
			return op, fmt.Errorf("response %s: no application/json content", status)
		}
		i, err := in.intern(c.Schema, "responses."+status)
		if err != nil {
			return op, err
		}
		op.Responses[status] = i
	}
	return op, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
