package oas

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"
)

// Schema is one decoded schema of a data file. Check reads it as OpenAPI 3.0
// does; it must be at least as strict as the validator the tests use
// (kin-openapi with format checks on), because answers are built to pass it.
// A Schema never changes once decoded, so servers share it.
type Schema struct {
	typ        string // "", object, array, string, number, integer, boolean
	nullable   bool
	enum       []any
	format     string
	pattern    *regexp.Regexp
	minLength  *int
	maxLength  *int
	minimum    *float64
	maximum    *float64
	properties map[string]*Schema
	required   []string
	closed     bool    // additionalProperties: false
	extra      *Schema // additionalProperties: a schema
	items      *Schema
	anyOf      []*Schema
	oneOf      []*Schema
	def        any
	hasDefault bool
}

// Formats the validator knows; others (binary) are not checked, as in
// kin-openapi. The patterns are the ones the tests hand kin-openapi.
var (
	uuidFormat     = regexp.MustCompile(`^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000)$`)
	emailFormat    = regexp.MustCompile(`^[^@]+@[^@<>",\s]+$`)
	dateTimeFormat = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|10|11|12)-(0[1-9]|[12][0-9]|3[01])T([0-1][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)([0-1][0-9]|2[0-3]):[0-5][0-9])$`)
)

// Check returns nil when v is valid, else an error naming where it is not.
// Values are JSON as encoding/json decodes it (float64 numbers), though ints
// are accepted too.
func (s *Schema) Check(v any) error { return s.checkAt("", v) }

func (s *Schema) checkAt(at string, v any) error {
	if v == nil {
		if s.nullable {
			return nil
		}
		return fmt.Errorf("%s: must not be null", where(at))
	}
	if err := s.checkAlternatives(at, v); err != nil {
		return err
	}
	if len(s.enum) > 0 && !slices.ContainsFunc(s.enum, func(e any) bool { return jsonEqual(e, v) }) {
		return fmt.Errorf("%s: %v is not one of %v", where(at), v, s.enum)
	}
	switch x := v.(type) {
	case map[string]any:
		return s.checkObject(at, x)
	case []any:
		return s.checkArray(at, x)
	case string:
		return s.checkString(at, x)
	case bool:
		return s.want(at, "boolean", "a boolean")
	default:
		f, ok := jsonpatch.Number(v)
		if !ok {
			return fmt.Errorf("%s: %T is not a JSON value", where(at), v)
		}
		return s.checkNumber(at, f)
	}
}

func (s *Schema) checkAlternatives(at string, v any) error {
	if len(s.anyOf) > 0 && !slices.ContainsFunc(s.anyOf, func(b *Schema) bool { return b.checkAt(at, v) == nil }) {
		return fmt.Errorf("%s: matches none of the allowed shapes", where(at))
	}
	if len(s.oneOf) > 0 {
		n := 0
		for _, b := range s.oneOf {
			if b.checkAt(at, v) == nil {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of the shapes, want exactly one", where(at), n)
		}
	}
	return nil
}

// want checks the declared type against the value's kind.
func (s *Schema) want(at, kind, name string) error {
	if s.typ == "" || s.typ == kind || kind == "integer" && s.typ == "number" {
		return nil
	}
	return fmt.Errorf("%s: %s, want %s", where(at), name, s.typ)
}

func (s *Schema) checkObject(at string, m map[string]any) error {
	if err := s.want(at, "object", "an object"); err != nil {
		return err
	}
	for _, k := range s.required {
		if _, ok := m[k]; !ok {
			return fmt.Errorf("%s: is required", where(join(at, k)))
		}
	}
	for _, k := range sortedKeys(m) {
		p, declared := s.properties[k]
		switch {
		case declared:
			if err := p.checkAt(join(at, k), m[k]); err != nil {
				return err
			}
		case s.closed:
			return fmt.Errorf("%s: is not a known field", where(join(at, k)))
		case s.extra != nil:
			if err := s.extra.checkAt(join(at, k), m[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Schema) checkArray(at string, l []any) error {
	if err := s.want(at, "array", "an array"); err != nil {
		return err
	}
	if s.items == nil {
		return nil
	}
	for i, e := range l {
		if err := s.items.checkAt(fmt.Sprintf("%s[%d]", at, i), e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Schema) checkString(at, v string) error {
	if err := s.want(at, "string", "a string"); err != nil {
		return err
	}
	n := utf8.RuneCountInString(v)
	if s.minLength != nil && n < *s.minLength {
		return fmt.Errorf("%s: shorter than %d characters", where(at), *s.minLength)
	}
	if s.maxLength != nil && n > *s.maxLength {
		return fmt.Errorf("%s: longer than %d characters", where(at), *s.maxLength)
	}
	if s.pattern != nil && !s.pattern.MatchString(v) {
		return fmt.Errorf("%s: %q does not match %s", where(at), v, s.pattern)
	}
	if !formatOK(s.format, v) {
		return fmt.Errorf("%s: %q is not a valid %s", where(at), v, s.format)
	}
	return nil
}

func formatOK(format, v string) bool {
	switch format {
	case "uuid":
		return uuidFormat.MatchString(v)
	case "email":
		return emailFormat.MatchString(v)
	case "date-time":
		if !dateTimeFormat.MatchString(v) {
			return false
		}
		_, err := time.Parse(time.DateOnly, v[:len(time.DateOnly)])
		return err == nil
	case "uri":
		u, err := url.Parse(v)
		return err == nil && u.IsAbs()
	}
	return true
}

func (s *Schema) checkNumber(at string, f float64) error {
	kind := "number"
	if f == math.Trunc(f) {
		kind = "integer"
	}
	if err := s.want(at, kind, "a number"); err != nil {
		return err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%s: not a finite number", where(at))
	}
	if s.minimum != nil && f < *s.minimum || s.maximum != nil && f > *s.maximum {
		return fmt.Errorf("%s: %v is out of range", where(at), f)
	}
	return nil
}

// jsonEqual compares two JSON values, numbers by value whatever their Go type.
func jsonEqual(a, b any) bool {
	fa, okA := jsonpatch.Number(a)
	fb, okB := jsonpatch.Number(b)
	if okA || okB {
		return okA && okB && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

func where(at string) string {
	if at == "" {
		return "body"
	}
	return at
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// names lists the declared properties in a fixed order, so fake data drawn
// from a seeded source comes out the same every time.
func (s *Schema) names() []string { return sortedKeys(s.properties) }
