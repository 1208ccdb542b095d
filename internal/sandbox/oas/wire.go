package oas

import (
	"bytes"
	"encoding/json"
)

// The data file is a compact derivation of an OpenAPI document: for every
// operation its method, path, query parameter names, request body schema and,
// per documented status, the response body schema, with each distinct schema
// stored once and referred to by index. Children come before their parents.
// The generator (internal/specgen) writes it with these types and Read refuses
// any field they do not name, so the two cannot drift apart silently.

// NoBody marks a documented status whose answer has no JSON body.
const NoBody = -1

// Wire is the data file as stored.
type Wire struct {
	About      string     `json:"about"`
	Version    string     `json:"version"`
	Operations []WireOp   `json:"operations"`
	Schemas    []WireNode `json:"schemas"`
}

// WireOp is one operation of the data file.
type WireOp struct {
	Method string `json:"method"`
	Path   string `json:"path"` // parameters as {name}
	// Query lists the query parameters; a trailing "!" marks a required one.
	Query []string `json:"query,omitempty"`
	// Body is the JSON request body's schema; nil when the operation takes
	// none or only another media type.
	Body *int `json:"body,omitempty"`
	// Responses maps each documented status to its body schema, or NoBody.
	Responses map[string]int `json:"responses"`
}

// WireNode is one schema as the data file stores it. Sub-schemas are indexes
// into the file's schema list.
type WireNode struct {
	Type       string          `json:"type,omitempty"`
	Nullable   bool            `json:"nullable,omitempty"`
	Enum       []any           `json:"enum,omitempty"`
	Format     string          `json:"format,omitempty"`
	Pattern    string          `json:"pattern,omitempty"`
	MinLength  *int            `json:"minLength,omitempty"`
	MaxLength  *int            `json:"maxLength,omitempty"`
	Minimum    *float64        `json:"minimum,omitempty"`
	Maximum    *float64        `json:"maximum,omitempty"`
	Properties map[string]int  `json:"properties,omitempty"`
	Required   []string        `json:"required,omitempty"`
	Closed     bool            `json:"closed,omitempty"` // additionalProperties: false
	Extra      *int            `json:"extra,omitempty"`  // additionalProperties: a schema
	Items      *int            `json:"items,omitempty"`
	AnyOf      []int           `json:"anyOf,omitempty"`
	OneOf      []int           `json:"oneOf,omitempty"`
	Default    json.RawMessage `json:"default,omitempty"`
}

// ReadWire decodes a data file, refusing any field the types above lack.
func ReadWire(data []byte) (*Wire, error) {
	w := &Wire{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // the generator and this decoder must agree on every field
	if err := dec.Decode(w); err != nil {
		return nil, err
	}
	return w, nil
}

// Add appends a schema and returns its index. Appended schemas refer only to
// earlier ones, as the file's order requires.
func (w *Wire) Add(n WireNode) int {
	w.Schemas = append(w.Schemas, n)
	return len(w.Schemas) - 1
}
