package oas

import "slices"

// What a caller may ask of a schema's shape. The fields stay unexported so
// a decoded schema cannot be changed under the servers that share it; a
// caller that needs a different schema derives one (WithRequired).

// Type is the declared JSON type ("object", "string", ...), "" when any.
func (s *Schema) Type() string { return s.typ }

// Allows reports whether the schema admits values of a JSON kind at all.
func (s *Schema) Allows(kind string) bool {
	return s.typ == "" || s.typ == kind || kind == "integer" && s.typ == "number"
}

// Property is the schema of a declared property, nil when undeclared.
func (s *Schema) Property(name string) *Schema { return s.properties[name] }

// Declares reports whether an object may hold key by name: declared or
// required.
func (s *Schema) Declares(key string) bool {
	return s.properties[key] != nil || slices.Contains(s.required, key)
}

// Items is the schema of an array's elements, nil when not an array of one.
func (s *Schema) Items() *Schema { return s.items }

// Pattern is the string pattern, "" when there is none.
func (s *Schema) Pattern() string {
	if s.pattern == nil {
		return ""
	}
	return s.pattern.String()
}

// FirstObject is the schema itself, or for alternatives the first that
// describes an object: the plain form of a user rather than the one with
// groups added.
func (s *Schema) FirstObject() *Schema {
	for _, b := range append(append([]*Schema(nil), s.anyOf...), s.oneOf...) {
		if b.properties != nil {
			return b
		}
	}
	return s
}

// WithRequired is a copy of the schema that requires exactly the fields
// named: how a caller relaxes a schema its document gets wrong.
func (s *Schema) WithRequired(required []string) *Schema {
	relaxed := *s
	relaxed.required = required
	return &relaxed
}

// children are the schemas directly inside s.
func (s *Schema) children() []*Schema {
	var out []*Schema
	for _, k := range s.names() {
		out = append(out, s.properties[k])
	}
	out = append(out, s.anyOf...)
	out = append(out, s.oneOf...)
	for _, c := range []*Schema{s.items, s.extra} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}
