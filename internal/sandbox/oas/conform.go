package oas

import "sort"

// Conform returns a value valid for s that keeps as much of v as is valid:
// fields the schema declares keep their values where those fit, missing
// required ones are made up, undeclared ones are dropped where the schema is
// closed. It is how one stored item answers every operation that shows it,
// each with its own schema (a list shows fewer fields than a read, a closed
// schema none it does not name), and how a made-up answer stays valid.
func (f *Faker) Conform(s *Schema, v any, hint string) any {
	if s.Check(v) == nil {
		return v
	}
	if v == nil {
		return f.Value(s, hint)
	}
	if alts := append(append([]*Schema(nil), s.oneOf...), s.anyOf...); len(alts) > 0 {
		for _, b := range byFit(alts, v) {
			if c := f.Conform(b, v, hint); s.Check(c) == nil {
				return c
			}
		}
		return f.Value(s, hint)
	}
	if len(s.enum) > 0 {
		return f.Value(s, hint)
	}
	switch x := v.(type) {
	case map[string]any:
		if s.Allows("object") {
			return f.conformObject(s, x)
		}
	case []any:
		if s.Allows("array") {
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = e
				if s.items != nil {
					out[i] = f.Conform(s.items, e, singular(hint))
				}
			}
			return out
		}
	}
	return f.Value(s, hint)
}

func (f *Faker) conformObject(s *Schema, m map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range sortedKeys(m) {
		p, declared := s.properties[k]
		switch {
		case declared:
			out[k] = f.Conform(p, m[k], k)
		case s.closed:
		case s.extra != nil:
			out[k] = f.Conform(s.extra, m[k], k)
		default:
			out[k] = m[k]
		}
	}
	for _, k := range s.required {
		if _, ok := out[k]; ok {
			continue
		}
		if p, declared := s.properties[k]; declared {
			out[k] = f.Value(p, k)
		} else {
			out[k] = f.words(k)
		}
	}
	return out
}

// byFit orders alternative schemas by how well an object matches each: a
// branch whose one-value enum (a discriminator such as "type" or "provider")
// disagrees with the object comes last; otherwise more shared fields first.
func byFit(alts []*Schema, v any) []*Schema {
	m, isObject := v.(map[string]any)
	if !isObject {
		return alts
	}
	score := func(b *Schema) int {
		n := 0
		for k, val := range m {
			p, ok := b.properties[k]
			switch {
			case !ok:
				if b.closed {
					n -= 2
				}
			case len(p.enum) == 1 && !jsonEqual(p.enum[0], val):
				n -= 1000
			default:
				n++
			}
		}
		return n
	}
	out := append([]*Schema(nil), alts...)
	sort.SliceStable(out, func(i, j int) bool { return score(out[i]) > score(out[j]) })
	return out
}
