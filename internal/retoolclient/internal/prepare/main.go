// Command prepare readies Retool's OpenAPI document for oapi-codegen and runs
// it, writing the generated client beside the go:generate line that calls it
// (see ../../doc.go). The shared document is never edited; what it needs is
// done here, on a copy:
//
//   - path parameters spelt ":name" (/access_tokens/:accessTokenId) become
//     "{name}", the only spelling OpenAPI knows, and are declared where the
//     document left them undeclared;
//
//   - a path parameter whose schema is a choice of string enums (the
//     observability provider) becomes one string enum: oapi-codegen renders
//     such a choice as a union no caller can fill;
//
//   - prose (description, summary, example, examples) is dropped: the client
//     needs none of it, and the project does not copy Retool's prose;
//
//   - the 2xx answers the document shows bare are wrapped in {"success",
//     "data"}, as the real API answers them (see internal/sandbox/retoolv2/recorded.go
//     and the recordings in ../shared/retool/recordings), so the generated
//     types decode what the API really sends; for the same reason the
//     answers to /permissions/grant and /permissions/revoke gain the paging
//     fields the real API sends with them (optional, as for screens).
//
//     go run ./internal/prepare -in ../../../shared/retool/openapi-2.12.0.json -config oapi-codegen.yaml
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "prepare:", err)
		os.Exit(1)
	}
}

func run() error {
	in := flag.String("in", "", "Retool's OpenAPI document (JSON)")
	config := flag.String("config", "oapi-codegen.yaml", "oapi-codegen configuration")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if err := prepare(doc); err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	tmp := filepath.Join(os.TempDir(), fmt.Sprintf("retool-openapi-%d.json", os.Getpid()))
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return err
	}
	defer os.Remove(tmp)
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", *config, tmp)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

var colonParam = regexp.MustCompile(`/:([A-Za-z_][A-Za-z0-9_]*)`)

// prepare applies the fix-ups described above to the decoded document.
func prepare(doc map[string]any) error {
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		return fmt.Errorf("no paths")
	}
	for p, item := range paths {
		if fixed := colonParam.ReplaceAllString(p, "/{$1}"); fixed != p {
			if _, clash := paths[fixed]; clash {
				return fmt.Errorf("path %s and %s would collide", p, fixed)
			}
			delete(paths, p)
			paths[fixed] = item
		}
	}
	for p, item := range paths {
		declareParams(p, item.(map[string]any))
		for _, op := range item.(map[string]any) {
			if o, isOp := op.(map[string]any); isOp {
				list, _ := o["parameters"].([]any)
				for _, prm := range list {
					if m, _ := prm.(map[string]any); m["in"] == "path" {
						flattenChoice(m)
					}
				}
			}
		}
	}
	dropProse(doc, "")
	for _, item := range paths {
		for _, op := range item.(map[string]any) {
			if o, isOp := op.(map[string]any); isOp {
				wrapBare(doc, o)
			}
		}
	}
	for _, p := range []string{"/permissions/grant", "/permissions/revoke"} {
		if err := addPaging(paths, p); err != nil {
			return err
		}
	}
	return nil
}

// addPaging declares the optional paging fields on an operation's answer.
func addPaging(paths map[string]any, path string) error {
	item, _ := paths[path].(map[string]any)
	op, _ := item["post"].(map[string]any)
	responses, _ := op["responses"].(map[string]any)
	ok, _ := responses["200"].(map[string]any)
	content, _ := ok["content"].(map[string]any)
	mt, _ := content["application/json"].(map[string]any)
	schema, _ := mt["schema"].(map[string]any)
	props, _ := schema["properties"].(map[string]any)
	if props == nil {
		return fmt.Errorf("POST %s: no inline 200 answer to add paging fields to", path)
	}
	props["total_count"] = map[string]any{"type": "integer"}
	props["has_more"] = map[string]any{"type": "boolean"}
	props["next_token"] = map[string]any{"type": "string", "nullable": true}
	return nil
}

var braceParam = regexp.MustCompile(`\{([^}]+)\}`)

// declareParams declares, as required strings, the path's parameters that
// neither the path item nor an operation declares.
func declareParams(path string, item map[string]any) {
	declared := func(params any) map[string]bool {
		out := map[string]bool{}
		list, _ := params.([]any)
		for _, p := range list {
			if m, _ := p.(map[string]any); m["in"] == "path" {
				out[fmt.Sprint(m["name"])] = true
			}
		}
		return out
	}
	shared := declared(item["parameters"])
	for method, op := range item {
		o, isOp := op.(map[string]any)
		if !isOp || method == "parameters" {
			continue
		}
		own := declared(o["parameters"])
		for _, m := range braceParam.FindAllStringSubmatch(path, -1) {
			if !shared[m[1]] && !own[m[1]] {
				list, _ := o["parameters"].([]any)
				o["parameters"] = append(list, map[string]any{"name": m[1], "in": "path", "required": true,
					"schema": map[string]any{"type": "string"}})
			}
		}
	}
}

// flattenChoice turns a parameter schema that is a choice of string enums
// into one string enum.
func flattenChoice(param map[string]any) {
	schema, _ := param["schema"].(map[string]any)
	for _, kw := range []string{"anyOf", "oneOf"} {
		alts, ok := schema[kw].([]any)
		if !ok {
			continue
		}
		var values []any
		for _, a := range alts {
			m, _ := a.(map[string]any)
			enum, _ := m["enum"].([]any)
			if m["type"] != "string" || len(enum) == 0 {
				return
			}
			values = append(values, enum...)
		}
		param["schema"] = map[string]any{"type": "string", "enum": values}
	}
}

// dropProse removes free text, keeping properties that happen to be named
// like it (a schema's "description" property is data).
func dropProse(v any, parent string) {
	switch x := v.(type) {
	case map[string]any:
		if parent != "properties" {
			for _, k := range []string{"description", "summary", "example", "examples"} {
				delete(x, k)
			}
		}
		for k, e := range x {
			dropProse(e, k)
		}
	case []any:
		for _, e := range x {
			dropProse(e, "")
		}
	}
}

// wrapBare wraps every JSON 2xx answer whose schema lacks the envelope.
func wrapBare(doc map[string]any, op map[string]any) {
	responses, _ := op["responses"].(map[string]any)
	for st, r := range responses {
		if !strings.HasPrefix(st, "2") {
			continue
		}
		resp, _ := r.(map[string]any)
		content, _ := resp["content"].(map[string]any)
		mt, _ := content["application/json"].(map[string]any)
		schema, _ := mt["schema"].(map[string]any)
		if schema == nil || isEnvelope(doc, schema) {
			continue
		}
		mt["schema"] = map[string]any{
			"type":     "object",
			"required": []any{"success", "data"},
			"properties": map[string]any{
				"success": map[string]any{"type": "boolean"},
				"data":    schema,
			},
		}
	}
}

func isEnvelope(doc map[string]any, s map[string]any) bool {
	if ref, ok := s["$ref"].(string); ok {
		s = resolve(doc, ref)
	}
	props, _ := s["properties"].(map[string]any)
	return props["success"] != nil && props["data"] != nil
}

func resolve(doc map[string]any, ref string) map[string]any {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := cur.(map[string]any)
		cur = m[part]
	}
	m, _ := cur.(map[string]any)
	return m
}
