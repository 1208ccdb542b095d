package retoolv2

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/retoolv2/internal/jsonpatch"
)

// faker makes up JSON values that are valid for a schema and read like an
// organisation's data: property names pick the kind of value (an email for
// "email", a timestamp for "created_at"), and pools of the organisation's own
// ids and names keep made-up answers consistent with what the lists hold.
// It draws from its own seeded source, so the same draws give the same data.
type faker struct {
	rng   *rand.Rand
	pools map[string][]any // hint → values already in the organisation
}

func newFaker(seed uint64, pools map[string][]any) *faker {
	return &faker{rng: rand.New(rand.NewPCG(seed, 0x5ba0d)), pools: pools}
}

// maxFakeDepth bounds how deep made-up objects fill their optional fields:
// deeper down only required ones, so bodies stay small.
const maxFakeDepth = 3

// value makes up a valid value for s. hint is the property name it will sit
// under ("" at the top).
func (f *faker) value(s *schema, hint string) any { return f.valueAt(s, hint, 0) }

func (f *faker) valueAt(s *schema, hint string, depth int) any {
	if v, ok := f.pooled(s, hint); ok {
		return v
	}
	if s.hasDefault && s.check(s.def) == nil {
		return jsonpatch.Clone(s.def)
	}
	if alts := append(append([]*schema(nil), s.oneOf...), s.anyOf...); len(alts) > 0 {
		for _, b := range alts {
			if v := f.valueAt(b, hint, depth); s.check(v) == nil {
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

func (f *faker) object(s *schema, depth int) map[string]any {
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
func (f *faker) pooled(s *schema, hint string) (any, bool) {
	pool := f.pools[hint]
	if len(pool) == 0 {
		return nil, false
	}
	start := f.rng.IntN(len(pool))
	for i := range pool {
		if v := pool[(start+i)%len(pool)]; s.check(v) == nil {
			return v, true
		}
	}
	return nil, false
}

func (f *faker) str(s *schema, hint string) string {
	var v string
	switch {
	case s.format == "uuid":
		v = f.uuid()
	case s.format == "date-time":
		v = f.timestamp()
	case s.format == "email":
		v = f.email()
	case s.format == "uri":
		v = "https://" + orgHost + "/" + strings.ReplaceAll(hint, "_", "-") + "/" + f.hex(6)
	case s.pattern != nil:
		v = f.matching(s.pattern.String(), hint)
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

// patterns are the document's string patterns and how to meet each; the
// tests check every pattern in the data file has an entry.
var patterns = map[string]func(f *faker, hint string) string{
	`user_([a-z0-9]+)`: func(f *faker, _ string) string { return "user_" + f.hex(6) },
	`^(app|workflow|resource|agent|library)_([0-9]\d*)$`: func(f *faker, _ string) string {
		return fmt.Sprintf("app_%d", 100+f.rng.IntN(900))
	},
	`^\d+$`:             func(f *faker, _ string) string { return fmt.Sprint(1 + f.rng.IntN(9999)) },
	`^#[A-Fa-f0-9]{6}$`: func(f *faker, _ string) string { return "#" + strings.ToUpper(f.hex(3)) },
	`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$`: func(f *faker, _ string) string {
		return fmt.Sprintf("%d.%d.%d", 1+f.rng.IntN(3), f.rng.IntN(10), f.rng.IntN(10))
	},
	`^[a-z0-9\_]+$`: func(f *faker, hint string) string {
		return pick(f.rng, []string{"department", "region", "cost_center", "employee_id", "team"})
	},
}

func (f *faker) matching(pattern, hint string) string {
	if gen, ok := patterns[pattern]; ok {
		return gen(f, hint)
	}
	return f.byHint(hint) // checked by the caller; the tests keep this unreachable
}

// byHint makes up a string from what its property is called.
func (f *faker) byHint(hint string) string {
	h := strings.ToLower(hint)
	switch {
	case strings.HasSuffix(h, "_at") || h == "last_active":
		return f.timestamp()
	case strings.Contains(h, "email") || h == "invited_by":
		return f.email()
	case h == "first_name":
		return pick(f.rng, firstNames)
	case h == "last_name":
		return pick(f.rng, lastNames)
	case strings.Contains(h, "url") || h == "dsn":
		return "https://" + orgHost + "/" + f.hex(4)
	case h == "host":
		return orgHost
	case h == "port":
		return "5432"
	case h == "domain":
		return pick(f.rng, []string{"eu", "partners", "ops"}) + "." + orgDomain
	case strings.Contains(h, "token") || strings.Contains(h, "secret") || strings.Contains(h, "password") ||
		strings.Contains(h, "key") || h == "dsn":
		return "sbx_" + f.hex(12)
	case strings.Contains(h, "sha"):
		return f.hex(20)
	case h == "last4":
		return fmt.Sprintf("%04d", f.rng.IntN(10000))
	case strings.Contains(h, "version") || h == "release":
		return fmt.Sprintf("%d.%d.%d", 1+f.rng.IntN(3), f.rng.IntN(10), f.rng.IntN(10))
	case h == "org":
		return "northwind"
	case h == "repo":
		return "retool-apps"
	case strings.Contains(h, "branch"):
		return pick(f.rng, []string{"main", "release/2025-06", "feature/refund-limits"})
	case h == "day":
		return f.when().Format(time.DateOnly)
	case h == "timezone":
		return pick(f.rng, []string{"America/New_York", "Europe/Berlin", "UTC"})
	case h == "crontab":
		return pick(f.rng, []string{"0 * * * *", "*/15 * * * *", "0 6 * * 1"})
	case h == "status":
		return pick(f.rng, []string{"success", "running", "pending"})
	case h == "trigger_type":
		return pick(f.rng, []string{"webhook", "schedule", "manual"})
	case h == "region":
		return pick(f.rng, []string{"us-east-1", "eu-central-1"})
	case strings.Count(h, "-") == 2: // a cloud region key: an address range
		return fmt.Sprintf("203.0.113.%d/32", f.rng.IntN(250))
	case strings.HasSuffix(h, "name") || h == "label" || h == "title":
		return pick(f.rng, appNames)
	case h == "description" || h == "message" || strings.HasSuffix(h, "_description"):
		return pick(f.rng, descriptions)
	case h == "filepath":
		return "src/components/" + pick(f.rng, []string{"OrderCard", "RefundButton", "MapView"}) + ".tsx"
	case strings.HasSuffix(h, "id") || h == "uuid":
		return f.uuid()
	}
	return f.words(hint)
}

func (f *faker) words(hint string) string {
	base := strings.ReplaceAll(strings.TrimSpace(hint), "_", " ")
	if base == "" {
		base = "value"
	}
	return fmt.Sprintf("%s %d", base, 1+f.rng.IntN(99))
}

func (f *faker) num(s *schema, hint string) float64 {
	h := strings.ToLower(hint)
	lo, hi := 1.0, 100.0
	switch {
	case h == "id" || strings.HasSuffix(h, "_id") || strings.HasSuffix(h, "legacy_id"):
		lo, hi = 1, 9999
	case strings.HasPrefix(h, "count_unique") || strings.HasSuffix(h, "editors") || strings.HasSuffix(h, "viewers"):
		lo, hi = 0, 30
	case strings.HasPrefix(h, "count") || h == "maa" || h == "mau":
		lo, hi = 0, 400
	case strings.HasPrefix(h, "percent"):
		lo, hi = -20, 60
	case strings.HasSuffix(h, "_mins"):
		lo, hi = 43200, 43200
	}
	if s.minimum != nil {
		lo = max(lo, *s.minimum)
	}
	if s.maximum != nil {
		hi = min(hi, *s.maximum)
	}
	if hi < lo {
		hi = lo
	}
	return lo + float64(f.rng.IntN(int(hi-lo)+1))
}

// uuid is a version 4 UUID from the seeded source.
func (f *faker) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(f.rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (f *faker) hex(nBytes int) string {
	b := make([]byte, nBytes)
	for i := range b {
		b[i] = byte(f.rng.IntN(256))
	}
	return hex.EncodeToString(b)
}

func (f *faker) email() string {
	return emailOf(pick(f.rng, firstNames), pick(f.rng, lastNames))
}

// when is an instant in the year before the sandbox's fixed epoch.
func (f *faker) when() time.Time {
	return time.Unix(fakeEpoch-int64(f.rng.IntN(365*24*3600)), 0).UTC()
}

func (f *faker) timestamp() string { return stamp(f.when()) }

// stamp is Retool's timestamp form: RFC 3339 in UTC with milliseconds.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func emailOf(first, last string) string {
	local := strings.ToLower(first + "." + strings.ReplaceAll(last, " ", ""))
	return local + "@" + orgDomain
}

func pick[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }

// singular names one element of a list property ("members" → "member").
func singular(hint string) string {
	if s, ok := strings.CutSuffix(hint, "ies"); ok {
		return s + "y"
	}
	return strings.TrimSuffix(hint, "s")
}
