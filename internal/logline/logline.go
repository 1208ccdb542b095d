package logline

import (
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// EncoderConfig is the JSON encoder configuration whose output Line reproduces: zap's
// production settings, with the time under "ts" in RFC 3339 with nanoseconds.
func EncoderConfig() zapcore.EncoderConfig {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "ts"
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	return enc
}

// Writer is a logger core that can take a line already encoded in this package's format.
type Writer interface {
	zapcore.Core
	// WriteLine writes one whole line (ending in a newline) as the core's own entries are
	// written.
	WriteLine(line []byte) error
}

// Line is one log line being built. Start it, add its fields in order, then End it.
type Line struct{ b []byte }

var lines = sync.Pool{New: func() any { return &Line{b: make([]byte, 0, 1024)} }}

// Start begins a line at level, logged at t, with message msg.
func Start(level zapcore.Level, t time.Time, msg string) *Line {
	l := lines.Get().(*Line)
	l.b = append(l.b[:0], `{"level":`...)
	l.b = appendString(l.b, level.String())
	l.b = append(l.b, `,"ts":"`...)
	l.b = t.AppendFormat(l.b, time.RFC3339Nano)
	l.b = append(l.b, `","msg":`...)
	l.b = appendString(l.b, msg)
	return l
}

// Release returns the line's buffer for reuse; the line must not be used after.
func (l *Line) Release() {
	if cap(l.b) <= 64<<10 { // one huge line does not pin its buffer
		lines.Put(l)
	}
}

func (l *Line) key(k string) {
	l.b = append(l.b, ',')
	l.b = appendString(l.b, k)
	l.b = append(l.b, ':')
}

// String adds a string field, escaped as zap escapes it.
func (l *Line) String(k, v string) {
	l.key(k)
	l.b = appendString(l.b, v)
}

// Int adds an integer field.
func (l *Line) Int(k string, v int64) {
	l.key(k)
	l.b = strconv.AppendInt(l.b, v, 10)
}

// Bool adds a boolean field.
func (l *Line) Bool(k string, v bool) {
	l.key(k)
	l.b = strconv.AppendBool(l.b, v)
}

// Duration adds a duration in seconds, as zapcore.SecondsDurationEncoder writes it.
func (l *Line) Duration(k string, d time.Duration) {
	l.key(k)
	l.b = strconv.AppendFloat(l.b, float64(d)/float64(time.Second), 'f', -1, 64)
}

// End closes the line and returns it, newline included. The bytes are the line's own
// until Release.
func (l *Line) End() []byte {
	l.b = append(l.b, '}', '\n')
	return l.b
}

const hex = "0123456789abcdef"

// plain marks the bytes a JSON string holds as they are: printable ASCII but the quote and
// the backslash.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string the way zap's JSON encoder does: quotes and
// backslashes escaped, \n \r \t by name, other control bytes as \u00XX, each byte of
// invalid UTF-8 as \ufffd, everything else (valid UTF-8 included) as it is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && plain[s[i]] {
		i++
	}
	if i == len(s) { // the common case: nothing to escape
		b = append(b, s...)
		return append(b, '"')
	}
	last := 0
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[last:i]...)
			b = append(b, `\ufffd`...)
			i++
			last = i
			continue
		}
		if plain[c] {
			i++
			continue
		}
		b = append(b, s[last:i]...)
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		i++
		last = i
	}
	b = append(b, s[last:]...)
	return append(b, '"')
}
