package logline_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/budgetgw/gateway/internal/logline"
)

// zapLine is what zap's JSON encoder, configured as logline says, writes for the entry.
func zapLine(t testing.TB, level zapcore.Level, at time.Time, msg string, fields []zap.Field) string {
	t.Helper()
	buf, err := zapcore.NewJSONEncoder(logline.EncoderConfig()).EncodeEntry(zapcore.Entry{Level: level, Time: at, Message: msg}, fields)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Free()
	return buf.String()
}

// field is one field written both ways.
type field struct {
	zap  zap.Field
	line func(*logline.Line)
}

func str(k, v string) field {
	return field{zap.String(k, v), func(l *logline.Line) { l.String(k, v) }}
}

func integer(k string, v int64) field {
	return field{zap.Int64(k, v), func(l *logline.Line) { l.Int(k, v) }}
}

func boolean(k string, v bool) field {
	return field{zap.Bool(k, v), func(l *logline.Line) { l.Bool(k, v) }}
}

func duration(k string, v time.Duration) field {
	return field{zap.Duration(k, v), func(l *logline.Line) { l.Duration(k, v) }}
}

func bothWays(t testing.TB, level zapcore.Level, at time.Time, msg string, fs ...field) (got, want string) {
	t.Helper()
	zf := make([]zap.Field, len(fs))
	l := logline.Start(level, at, msg)
	defer l.Release()
	for i, f := range fs {
		zf[i] = f.zap
		f.line(l)
	}
	return string(l.End()), zapLine(t, level, at, msg, zf)
}

// hostile are strings a request can put in a field (a method, a header): every escape
// zap makes, invalid UTF-8, and valid UTF-8 it leaves alone.
var hostile = []string{
	"", "plain", `quote"d`, `back\slash`, "new\nline", "cr\rlf", "tab\tbed", "nul\x00byte",
	"bell\x07", "esc\x1b[31m", "del\x7f", "caf\u00e9", "emoji \U0001F600", "line\u2028sep",
	"bad\xffutf8", "cut\xe2\x82", "\xc0\xaf", "{\"level\":\"error\"}", "\\u0000", "</script>",
}

func TestLineIsWhatZapWrites(t *testing.T) {
	at := time.Date(2026, 12, 2, 18, 30, 1, 123456789, time.UTC)
	for _, s := range hostile {
		if got, want := bothWays(t, zapcore.InfoLevel, at, "request", str("k", s), str(s, "v")); got != want {
			t.Errorf("string %q:\n got  %s want %s", s, got, want)
		}
	}
	for _, v := range []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64} {
		if got, want := bothWays(t, zapcore.InfoLevel, at, "request", integer("n", v)); got != want {
			t.Errorf("int %d:\n got  %s want %s", v, got, want)
		}
	}
	for _, d := range []time.Duration{0, 1, 999, time.Microsecond, 423 * time.Microsecond, 1500 * time.Millisecond,
		5 * time.Second, -3 * time.Millisecond, 90 * time.Minute, math.MaxInt64, math.MinInt64} {
		if got, want := bothWays(t, zapcore.InfoLevel, at, "request", duration("d", d)); got != want {
			t.Errorf("duration %v:\n got  %s want %s", d, got, want)
		}
	}
	for _, b := range []bool{true, false} {
		if got, want := bothWays(t, zapcore.InfoLevel, at, "request", boolean("b", b)); got != want {
			t.Errorf("bool %v:\n got  %s want %s", b, got, want)
		}
	}
	zones := []*time.Location{time.UTC, time.FixedZone("east", 5*3600+1800), time.FixedZone("west", -7*3600)}
	for _, level := range []zapcore.Level{zapcore.DebugLevel, zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel} {
		for _, z := range zones {
			for _, at := range []time.Time{at, at.Truncate(time.Second), at.Truncate(time.Millisecond)} {
				if got, want := bothWays(t, level, at.In(z), "a \"message\"\n"); got != want {
					t.Errorf("entry %v %v:\n got  %s want %s", level, at.In(z), got, want)
				}
			}
		}
	}
}

// TestRandomLinesAreWhatZapWrites writes many random lines both ways: the fields of an
// access line in random order and number, with random values.
func TestRandomLinesAreWhatZapWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randomString := func() string {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		if rng.IntN(2) == 0 {
			return hostile[rng.IntN(len(hostile))]
		}
		return string(b)
	}
	for range 2000 {
		var fs []field
		for range rng.IntN(20) {
			switch rng.IntN(4) {
			case 0:
				fs = append(fs, str(randomString(), randomString()))
			case 1:
				fs = append(fs, integer("n", rng.Int64()-rng.Int64()))
			case 2:
				fs = append(fs, boolean("b", rng.IntN(2) == 0))
			default:
				fs = append(fs, duration("d", time.Duration(rng.Int64N(int64(time.Hour)))))
			}
		}
		at := time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC()
		if got, want := bothWays(t, zapcore.InfoLevel, at, "request", fs...); got != want {
			t.Fatalf("\n got  %s want %s", got, want)
		}
	}
}

func FuzzStringIsWhatZapWrites(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	at := time.Date(2026, 12, 2, 18, 30, 1, 5, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := bothWays(t, zapcore.InfoLevel, at, s, str(s, s)); got != want {
			t.Fatalf("\n got  %s want %s", got, want)
		}
	})
}

// BenchmarkAccessLine is the gateway's access line (17 fields) written by zap's encoder
// and by Line: what the access log costs per request either way, without the disk.
func BenchmarkAccessLine(b *testing.B) {
	fs := []field{
		str("request_id", "8626f9e79e8965466bc77dad"), str("upstream", "retool"), str("caller", "billing-sync"),
		str("method", "GET"), str("route", "GET /api/v2/users"), integer("cost", 2), integer("status", 200),
		str("outcome", "forwarded"), duration("duration", 423*time.Microsecond), integer("bytes", 312),
		str("key_id", "billing-sync-3fa9c1"), boolean("admitted", true), duration("wait", 0),
		duration("max_wait", 5*time.Second), integer("budget_used", 123456), integer("upstream_status", 200),
		duration("upstream_duration", 301*time.Microsecond),
	}
	b.Run("zap", func(b *testing.B) {
		enc := zapcore.NewJSONEncoder(logline.EncoderConfig())
		zf := make([]zap.Field, len(fs))
		for i, f := range fs {
			zf[i] = f.zap
		}
		b.ReportAllocs()
		for b.Loop() {
			buf, _ := enc.EncodeEntry(zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "request"}, zf)
			buf.Free()
		}
	})
	b.Run("logline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l := logline.Start(zapcore.InfoLevel, time.Now(), "request")
			l.String("request_id", "8626f9e79e8965466bc77dad")
			l.String("upstream", "retool")
			l.String("caller", "billing-sync")
			l.String("method", "GET")
			l.String("route", "GET /api/v2/users")
			l.Int("cost", 2)
			l.Int("status", 200)
			l.String("outcome", "forwarded")
			l.Duration("duration", 423*time.Microsecond)
			l.Int("bytes", 312)
			l.String("key_id", "billing-sync-3fa9c1")
			l.Bool("admitted", true)
			l.Duration("wait", 0)
			l.Duration("max_wait", 5*time.Second)
			l.Int("budget_used", 123456)
			l.Int("upstream_status", 200)
			l.Duration("upstream_duration", 301*time.Microsecond)
			l.End()
			l.Release()
		}
	})
}
