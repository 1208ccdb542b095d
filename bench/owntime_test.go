package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The access log holds every run of the scenario and lines of other kinds: only forwarded
// calls answered within a measured slice count.
func TestReadOwnTimesKeepsForwardedCallsWithinTheSlices(t *testing.T) {
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	lines := []string{
		`{"level":"info","ts":"2026-12-02T12:00:00.5Z","msg":"gateway serving","listen":"127.0.0.1:1"}`,
		`{"level":"info","ts":"2026-12-02T12:00:00.9Z","msg":"request","duration":0.5,"upstream_duration":0.1}`, // before the slice
		`{"level":"info","ts":"2026-12-02T12:00:01.2Z","msg":"request","duration":0.0004,"upstream_duration":0.0003}`,
		`{"level":"info","ts":"2026-12-02T12:00:01.4Z","msg":"request","duration":0.0002,"status":429}`, // never forwarded
		`{"level":"info","ts":"2026-12-02T12:00:01.6Z","msg":"request","duration":0.003,"upstream_duration":0.001}`,
		`not json`,
		`{"level":"info","ts":"2026-12-02T12:00:03Z","msg":"request","duration":0.5,"upstream_duration":0.1}`, // after it
	}
	path := filepath.Join(t.TempDir(), "gateway.log")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := readOwnTimes(path, []span{{at("2026-12-02T12:00:01Z"), at("2026-12-02T12:00:02Z")}})
	if err != nil {
		t.Fatal(err)
	}
	near := func(got, want time.Duration) bool { return (got - want).Abs() < time.Microsecond }
	if len(o.own) != 2 || !near(o.own[0], 100*time.Microsecond) || !near(o.own[1], 2*time.Millisecond) {
		t.Errorf("own times %v, want [100µs 2ms]", o.own)
	}
	if len(o.upstream) != 2 || !near(o.upstream[0], 300*time.Microsecond) || !near(o.upstream[1], time.Millisecond) {
		t.Errorf("upstream times %v, want [300µs 1ms]", o.upstream)
	}
	if _, err := readOwnTimes(path, []span{{at("2026-12-02T12:00:04Z"), at("2026-12-02T12:00:05Z")}}); err == nil {
		t.Error("no error for slices without a request line; the report would drop its rows silently")
	}
}
