package ratefields

import (
	"net/http"
	"testing"
	"time"
)

func TestRemainingIsReadFromEveryCommonField(t *testing.T) {
	for _, h := range []http.Header{
		{"Ratelimit": {`"default";r=7;t=30`}},
		{"Ratelimit": {`limit=100, remaining=7, reset=30`}},
		{"Ratelimit-Remaining": {"7"}},
		{"X-Ratelimit-Remaining": {"7"}},
	} {
		if n, ok := Remaining(h); !ok || n != 7 {
			t.Errorf("%v: got %d %v; want 7", h, n, ok)
		}
	}
	if _, ok := Remaining(http.Header{"Ratelimit": {"garbage"}}); ok {
		t.Error("garbage read as a number")
	}
}

func TestPreferWaitIsReadAsRFC7240Says(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		want   int64
		ok     bool
	}{
		{"alone", []string{"wait=10"}, 10, true},
		{"among others, any case, spaced", []string{"respond-async, WAIT = 5"}, 5, true},
		{"quoted", []string{`wait="7"`}, 7, true},
		{"in a second field", []string{"return=minimal", "wait=3"}, 3, true},
		{"with a parameter", []string{"wait=4;x=y"}, 4, true},
		{"absent", []string{"return=minimal"}, 0, false},
		{"negative", []string{"wait=-1"}, 0, false},
		{"not a number", []string{"wait=soon"}, 0, false},
		{"no header", nil, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range c.values {
				h.Add("Prefer", v)
			}
			got, ok := PreferWait(h)
			if got != c.want || ok != c.ok {
				t.Fatalf("PreferWait(%q) = %d, %v; want %d, %v", c.values, got, ok, c.want, c.ok)
			}
		})
	}
}

// Retry-After comes as seconds or as an HTTP date; nonsense, the past and the far future
// must not lock an organisation out for nothing, or for days.
func TestRetryAfterIsBoundedToAnHour(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"30", 30 * time.Second, true},
		{now.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute, true},
		{"86400", time.Hour, true},
		{"0", 0, false},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		if got, ok := RetryAfter(c.value, now); got != c.want || ok != c.ok {
			t.Errorf("RetryAfter(%q) = %s, %v; want %s, %v", c.value, got, ok, c.want, c.ok)
		}
	}
}

// The fields the gateway writes on every answer.
func TestPolicyWritesBothFields(t *testing.T) {
	h := http.Header{}
	NewPolicy("retool", 600, time.Minute).Set(h, 42, 17)
	if got := h.Get("RateLimit-Policy"); got != `"retool";q=600;w=60` {
		t.Errorf("RateLimit-Policy = %s", got)
	}
	if got := h.Get("RateLimit"); got != `"retool";r=42;t=17` {
		t.Errorf("RateLimit = %s", got)
	}
}

// Remaining reads the header map with these names directly, without canonicalising: a
// name not in canonical form would never match.
func TestRemainingHeadersAreCanonical(t *testing.T) {
	for _, h := range remainingHeaders {
		if c := http.CanonicalHeaderKey(h); c != h {
			t.Errorf("%q is not canonical (%q)", h, c)
		}
	}
}
