package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// basePath is where the document's paths are served; the document's own
// server is "./".
const basePath = "/api/v2"

// document is what both emitters need from Retool's OpenAPI document.
type document struct {
	version string
	ops     []operation // by path, then method
}

// operation is one OpenAPI operation, as much of it as either emitter reads.
type operation struct {
	method      string // upper case
	path        string // as in the document, relative to basePath
	operationID string
	description string
	deprecated  bool
	parameters  []parameter
	requestBody *content           // nil when none is documented
	responses   map[string]content // by status
}

type parameter struct {
	In       string `json:"in"`
	Name     string `json:"name"`
	Required bool   `json:"required"`
}

// content maps media types to their schemas, left as decoded JSON for the
// sandbox emitter to intern.
type content struct {
	Content map[string]struct {
		Schema map[string]any `json:"schema"`
	} `json:"content"`
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
	for _, path := range sortedKeys(raw.Paths) {
		item := raw.Paths[path]
		for _, method := range sortedKeys(item) {
			if !httpMethods[method] {
				continue // "parameters", "summary" and such apply to the whole path
			}
			var op struct {
				OperationID string             `json:"operationId"`
				Description string             `json:"description"`
				Deprecated  bool               `json:"deprecated"`
				Parameters  []parameter        `json:"parameters"`
				RequestBody *content           `json:"requestBody"`
				Responses   map[string]content `json:"responses"`
			}
			if err := json.Unmarshal(item[method], &op); err != nil {
				return document{}, fmt.Errorf("%s %s: %w", method, path, err)
			}
			d.ops = append(d.ops, operation{
				method: strings.ToUpper(method), path: path, operationID: op.OperationID,
				description: op.Description, deprecated: op.Deprecated,
				parameters: op.Parameters, requestBody: op.RequestBody, responses: op.Responses,
			})
		}
	}
	return d, nil
}

// bracedParams rewrites ":name" segments, which one path in 2.12.0 uses, as
// "{name}"; taken literally they would route only the placeholder text.
func bracedParams(p string) (string, bool) {
	segs := strings.Split(p, "/")
	renamed := false
	for i, s := range segs {
		if strings.HasPrefix(s, ":") && len(s) > 1 {
			segs[i] = "{" + s[1:] + "}"
			renamed = true
		}
	}
	return strings.Join(segs, "/"), renamed
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
