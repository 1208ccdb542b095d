package retoolv2

import "sort"

// conform returns a value valid for s that keeps as much of v as is valid:
// fields the schema declares keep their values where those fit, missing
// required ones are made up, undeclared ones are dropped where the schema is
// closed. It is how one stored item answers every operation that shows it,
// each with its own schema (a list shows fewer fields than a read, a closed
// schema none it does not name), and how a made-up answer stays valid.
func (f *faker) conform(s *schema, v any, hint string) any {
	if s.check(v) == nil {
		return v
	}
	if v == nil {
		return f.value(s, hint)
	}
	if alts := append(append([]*schema(nil), s.oneOf...), s.anyOf...); len(alts) > 0 {
		for _, b := range byFit(alts, v) {
			if c := f.conform(b, v, hint); s.check(c) == nil {
				return c
			}
		}
		return f.value(s, hint)
	}
	if len(s.enum) > 0 {
		return f.value(s, hint)
	}
	switch x := v.(type) {
	case map[string]any:
		if s.allows("object") {
			return f.conformObject(s, x)
		}
	case []any:
		if s.allows("array") {
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = e
				if s.items != nil {
					out[i] = f.conform(s.items, e, singular(hint))
				}
			}
			return out
		}
	}
	return f.value(s, hint)
}

func (f *faker) conformObject(s *schema, m map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range sortedKeys(m) {
		p, declared := s.properties[k]
		switch {
		case declared:
			out[k] = f.conform(p, m[k], k)
		case s.closed:
		case s.extra != nil:
			out[k] = f.conform(s.extra, m[k], k)
		default:
			out[k] = m[k]
		}
	}
	for _, k := range s.required {
		if _, ok := out[k]; ok {
			continue
		}
		if p, declared := s.properties[k]; declared {
			out[k] = f.value(p, k)
		} else {
			out[k] = f.words(k)
		}
	}
	return out
}

// byFit orders alternative schemas by how well an object matches each: a
// branch whose one-value enum (a discriminator such as "type" or "provider")
// disagrees with the object comes last; otherwise more shared fields first.
func byFit(alts []*schema, v any) []*schema {
	m, isObject := v.(map[string]any)
	if !isObject {
		return alts
	}
	score := func(b *schema) int {
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
	out := append([]*schema(nil), alts...)
	sort.SliceStable(out, func(i, j int) bool { return score(out[i]) > score(out[j]) })
	return out
}
