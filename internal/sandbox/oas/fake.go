package oas

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"
)

// Faker makes up JSON values that are valid for a schema and read like an
// organisation's data: property names pick the kind of value (an email for
// "email", a timestamp for "created_at"), the vocabulary says what the
// organisation is called and how to meet its document's patterns, and pools
// of the organisation's own ids and names keep made-up answers consistent
// with what the lists hold. It draws from its own seeded source, so the same
// draws give the same data. A Faker is not safe for concurrent use.
type Faker struct {
	rng   *rand.Rand
	vocab *Vocabulary
	pools map[string][]any // hint → values already in the organisation
}

// NewFaker is a faker drawing from seed, borrowing from pools (by property
// name; nil: none) and speaking vocab.
func NewFaker(seed uint64, pools map[string][]any, vocab *Vocabulary) *Faker {
	return &Faker{rng: rand.New(rand.NewPCG(seed, 0x5ba0d)), vocab: vocab, pools: pools}
}

// maxFakeDepth bounds how deep made-up objects fill their optional fields:
// deeper down only required ones, so bodies stay small.
const maxFakeDepth = 3

// Value makes up a valid value for s. hint is the property name it will sit
// under ("" at the top).
func (f *Faker) Value(s *Schema, hint string) any { return f.valueAt(s, hint, 0) }

func (f *Faker) valueAt(s *Schema, hint string, depth int) any {
	if v, ok := f.pooled(s, hint); ok {
		return v
	}
	if s.hasDefault && s.Check(s.def) == nil {
		return jsonpatch.Clone(s.def)
	}
	if alts := append(append([]*Schema(nil), s.oneOf...), s.anyOf...); len(alts) > 0 {
		for _, b := range alts {
			if v := f.valueAt(b, hint, depth); s.Check(v) == nil {
				return v
			}
		}
		return nil // no branch can be made valid alone; check reports it
	}
	if len(s.enum) > 0 {
		return jsonpatch.Clone(s.enum[f.rng.IntN(len(s.enum))])
	}
	switch {
	case s.typ == "object" || s.properties != nil || s.extra != nil:
		return f.object(s, depth)
	case s.typ == "array":
		out := []any{}
		if s.items != nil {
			for range 1 + f.rng.IntN(2) {
				out = append(out, f.valueAt(s.items, singular(hint), depth+1))
			}
		}
		return out
	case s.typ == "string":
		return f.str(s, hint)
	case s.typ == "number" || s.typ == "integer":
		return f.num(s, hint)
	case s.typ == "boolean":
		return f.rng.IntN(3) != 0
	}
	return f.words(hint) // an untyped value: any JSON will do, a string reads best
}

func (f *Faker) object(s *Schema, depth int) map[string]any {
	m := map[string]any{}
	req := map[string]bool{}
	for _, k := range s.required {
		req[k] = true
	}
	for _, k := range s.names() {
		if req[k] || depth < maxFakeDepth {
			m[k] = f.valueAt(s.properties[k], k, depth+1)
		}
	}
	for _, k := range s.required {
		if _, ok := m[k]; !ok { // required but not declared: any value is allowed
			m[k] = f.words(k)
		}
	}
	return m
}

// pooled picks one of the organisation's values for hint, if one fits s.
func (f *Faker) pooled(s *Schema, hint string) (any, bool) {
	pool := f.pools[hint]
	if len(pool) == 0 {
		return nil, false
	}
	start := f.rng.IntN(len(pool))
	for i := range pool {
		if v := pool[(start+i)%len(pool)]; s.Check(v) == nil {
			return v, true
		}
	}
	return nil, false
}

func (f *Faker) str(s *Schema, hint string) string {
	var v string
	switch {
	case s.format == "uuid":
		v = f.UUID()
	case s.format == "date-time":
		v = f.timestamp()
	case s.format == "email":
		v = f.email()
	case s.format == "uri":
		v = "https://" + f.vocab.Host + "/" + strings.ReplaceAll(hint, "_", "-") + "/" + f.Hex(6)
	case s.pattern != nil:
		v = f.Matching(s.pattern.String(), hint)
	default:
		v = f.byHint(hint)
	}
	if s.minLength != nil {
		for len([]rune(v)) < *s.minLength {
			v += "x"
		}
	}
	if s.maxLength != nil && len([]rune(v)) > *s.maxLength {
		v = string([]rune(v)[:*s.maxLength])
	}
	return v
}

// Matching makes up a string for one of the document's patterns, by the
// vocabulary's generator for it; the caller's tests keep every pattern of
// its document covered, so the fallback, a string from the hint, is
// unreachable.
func (f *Faker) Matching(pattern, hint string) string {
	if gen, ok := f.vocab.Patterns[pattern]; ok {
		return gen(f, hint)
	}
	return f.byHint(hint)
}

// UUID is a version 4 UUID from the seeded source.
func (f *Faker) UUID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(f.rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Hex is nBytes drawn from the seeded source, in hex.
func (f *Faker) Hex(nBytes int) string {
	b := make([]byte, nBytes)
	for i := range b {
		b[i] = byte(f.rng.IntN(256))
	}
	return hex.EncodeToString(b)
}

// IntN is a number in [0, n) from the seeded source.
func (f *Faker) IntN(n int) int { return f.rng.IntN(n) }

func (f *Faker) email() string {
	return f.vocab.Email(pick(f.rng, f.vocab.FirstNames), pick(f.rng, f.vocab.LastNames))
}

// When is an instant in the year before the vocabulary's epoch.
func (f *Faker) When() time.Time {
	return time.Unix(f.vocab.Epoch-int64(f.rng.IntN(365*24*3600)), 0).UTC()
}

func (f *Faker) timestamp() string { return Stamp(f.When()) }

// Stamp is the timestamp form answers use: RFC 3339 in UTC with milliseconds.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func pick[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }

// singular names one element of a list property ("members" → "member").
func singular(hint string) string {
	if s, ok := strings.CutSuffix(hint, "ies"); ok {
		return s + "y"
	}
	return strings.TrimSuffix(hint, "s")
}
