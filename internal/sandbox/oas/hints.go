package oas

import (
	"fmt"
	"strings"
	"time"
)

// byHint makes up a string from what its property is called.
func (f *Faker) byHint(hint string) string {
	h := strings.ToLower(hint)
	switch {
	case strings.HasSuffix(h, "_at") || h == "last_active":
		return f.timestamp()
	case strings.Contains(h, "email") || h == "invited_by":
		return f.email()
	case h == "first_name":
		return pick(f.rng, f.vocab.FirstNames)
	case h == "last_name":
		return pick(f.rng, f.vocab.LastNames)
	case strings.Contains(h, "url") || h == "dsn":
		return "https://" + f.vocab.Host + "/" + f.Hex(4)
	case h == "host":
		return f.vocab.Host
	case h == "port":
		return "5432"
	case h == "domain":
		return pick(f.rng, []string{"eu", "partners", "ops"}) + "." + f.vocab.Domain
	case strings.Contains(h, "token") || strings.Contains(h, "secret") || strings.Contains(h, "password") ||
		strings.Contains(h, "key") || h == "dsn":
		return "sbx_" + f.Hex(12)
	case strings.Contains(h, "sha"):
		return f.Hex(20)
	case h == "last4":
		return fmt.Sprintf("%04d", f.rng.IntN(10000))
	case strings.Contains(h, "version") || h == "release":
		return fmt.Sprintf("%d.%d.%d", 1+f.rng.IntN(3), f.rng.IntN(10), f.rng.IntN(10))
	case h == "org":
		return f.vocab.Slug
	case h == "repo":
		return f.vocab.Repo
	case strings.Contains(h, "branch"):
		return pick(f.rng, []string{"main", "release/2025-06", "feature/refund-limits"})
	case h == "day":
		return f.When().Format(time.DateOnly)
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
		return pick(f.rng, f.vocab.Names)
	case h == "description" || h == "message" || strings.HasSuffix(h, "_description"):
		return pick(f.rng, f.vocab.Descriptions)
	case h == "filepath":
		return "src/components/" + pick(f.rng, []string{"OrderCard", "RefundButton", "MapView"}) + ".tsx"
	case strings.HasSuffix(h, "id") || h == "uuid":
		return f.UUID()
	}
	return f.words(hint)
}

func (f *Faker) words(hint string) string {
	base := strings.ReplaceAll(strings.TrimSpace(hint), "_", " ")
	if base == "" {
		base = "value"
	}
	return fmt.Sprintf("%s %d", base, 1+f.rng.IntN(99))
}

func (f *Faker) num(s *Schema, hint string) float64 {
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
