package ratefields

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Remaining reads the remaining quota from the rate-limit fields providers use:
// RateLimit ("name";r=N;t=S, or remaining=N), RateLimit-Remaining, X-RateLimit-Remaining.
// It runs on every answer, so it allocates nothing, also when no field is there.
func Remaining(h http.Header) (int64, bool) {
	if v := first(h["Ratelimit"]); v != "" { // canonical names: no canonicalising per answer
		for rest := v; rest != ""; {
			var part string
			if i := strings.IndexAny(rest, ";,"); i >= 0 {
				part, rest = rest[:i], rest[i+1:]
			} else {
				part, rest = rest, ""
			}
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && (k == "r" || strings.EqualFold(k, "remaining")) {
				if n, ok := nonNegative(val); ok {
					return n, true
				}
			}
		}
	}
	for _, name := range remainingHeaders {
		if v := first(h[name]); v != "" {
			if n, ok := nonNegative(v); ok {
				return n, true
			}
		}
	}
	return 0, false
}

// remainingHeaders are the older remaining-quota fields, in canonical form (X-RateLimit-
// and X-Ratelimit- are one field name).
var remainingHeaders = []string{"Ratelimit-Remaining", "X-Ratelimit-Remaining"} // canonical

// first is Header.Get for a name already canonical.
func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// nonNegative parses a decimal count, spaces around it allowed.
func nonNegative(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false // also what ParseInt's error would allocate for
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// RetryAfter reads delta-seconds or an HTTP date, bounded to one hour.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	if d <= 0 {
		return 0, false
	}
	return min(d, time.Hour), true
}

// PreferWait reads the wait preference of RFC 7240 (Prefer: wait=10, also among other
// preferences and across several Prefer fields). A malformed value is ignored, as the
// RFC asks of preferences a server does not understand.
func PreferWait(h http.Header) (int64, bool) {
	for _, v := range h["Prefer"] {
		for _, pref := range strings.Split(v, ",") {
			pref, _, _ = strings.Cut(pref, ";") // parameters of a preference
			name, val, ok := strings.Cut(pref, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "wait") {
				continue
			}
			val = strings.Trim(strings.TrimSpace(val), `"`)
			secs, err := strconv.ParseInt(val, 10, 64)
			if err != nil || secs < 0 {
				return 0, false
			}
			return secs, true
		}
	}
	return 0, false
}
