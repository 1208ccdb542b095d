package main

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// derived is the whole data file, less its "about" line.
type derived struct {
	Version    string
	Operations []oas.WireOp
	Schemas    []oas.WireNode
}

// generateSandbox derives the sandbox's data file.
func generateSandbox(d document) ([]byte, error) {
	derived, err := deriveSandbox(d)
	if err != nil {
		return nil, err
	}
	return emitSandbox(derived)
}

func deriveSandbox(doc document) (*derived, error) {
	d := &derived{Version: doc.version}
	in := newInterner()
	for _, o := range doc.ops {
		op, err := deriveOp(in, o)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.method, o.path, err)
		}
		d.Operations = append(d.Operations, op)
	}
	sort.SliceStable(d.Operations, func(i, j int) bool {
		a, b := d.Operations[i], d.Operations[j]
		return a.Path+" "+a.Method < b.Path+" "+b.Method
	})
	d.Schemas = in.nodes
	return d, nil
}

func deriveOp(in *interner, o operation) (oas.WireOp, error) {
	path, _ := bracedParams(o.path)
	op := oas.WireOp{Method: o.method, Path: basePath + path, Responses: map[string]int{}}
	for _, p := range o.parameters {
		if p.In != "query" {
			continue
		}
		name := p.Name
		if p.Required {
			name += "!"
		}
		op.Query = append(op.Query, name)
	}
	if o.requestBody != nil {
		if c, ok := o.requestBody.Content["application/json"]; ok { // others (multipart) are not checked
			i, err := in.intern(c.Schema, "body")
			if err != nil {
				return op, err
			}
			op.Body = &i
		}
	}
	if len(o.responses) == 0 {
		return op, fmt.Errorf("no responses")
	}
	for _, status := range sortedKeys(o.responses) {
		r := o.responses[status]
		if _, err := strconv.Atoi(status); err != nil {
			return op, fmt.Errorf("response %q: only numeric statuses are supported", status)
		}
		if len(r.Content) == 0 {
			op.Responses[status] = oas.NoBody
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
