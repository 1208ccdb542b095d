package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// operation is the little the generator needs from one OpenAPI operation.
type operation struct {
	method      string // upper case
	path        string // as in the document, relative to the API base
	operationID string
	description string
	deprecated  bool
}

type document struct {
	version string
	ops     []operation
}

var httpMethods = map[string]bool{
	"get": true, "head": true, "post": true, "put": true, "patch": true, "delete": true,
}

func readDoc(data []byte) (document, error) {
	var raw struct {
		Info  struct{ Version string } `json:"info"`
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return document{}, fmt.Errorf("decode: %w", err)
	}
	d := document{version: raw.Info.Version}
	for path, item := range raw.Paths {
		for method, body := range item {
			if !httpMethods[method] {
				continue // "parameters", "summary" and such apply to the whole path
			}
			var op struct {
				OperationID string `json:"operationId"`
				Description string `json:"description"`
				Deprecated  bool   `json:"deprecated"`
			}
			if err := json.Unmarshal(body, &op); err != nil {
				return document{}, fmt.Errorf("%s %s: %w", method, path, err)
			}
			d.ops = append(d.ops, operation{
				method:      strings.ToUpper(method),
				path:        path,
				operationID: op.OperationID,
				description: op.Description,
				deprecated:  op.Deprecated,
			})
		}
	}
	sort.Slice(d.ops, func(i, j int) bool { return d.ops[i].path+" "+d.ops[i].method < d.ops[j].path+" "+d.ops[j].method })
	return d, nil
}
