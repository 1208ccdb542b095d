package proxytest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// awaitLimit bounds how long Await waits for a log entry: far longer than any entry takes
// on a loaded machine, short enough that a missing one fails the test instead of hanging it.
const awaitLimit = 10 * time.Second

// Logs records every entry the gateway logs, and lets a test wait for one on a channel
// instead of sleeping and hoping.
type Logs struct {
	observed *observer.ObservedLogs
	logger   *zap.Logger

	mu      sync.Mutex
	changed chan struct{} // closed and replaced after every entry
}

func newLogs() *Logs {
	core, observed := observer.New(zapcore.DebugLevel)
	l := &Logs{observed: observed, changed: make(chan struct{})}
	l.logger = zap.New(&notifyingCore{Core: core, logs: l})
	return l
}

// Logger is the logger to give the gateway.
func (l *Logs) Logger() *zap.Logger { return l.logger }

// All returns every entry so far, in order.
func (l *Logs) All() []observer.LoggedEntry { return l.observed.All() }

// TakeAll returns every entry so far and forgets them (a fuzz target's memory stays flat).
func (l *Logs) TakeAll() []observer.LoggedEntry { return l.observed.TakeAll() }

// AccessLines returns the access-log entries ("request") so far.
func (l *Logs) AccessLines() []observer.LoggedEntry {
	return l.observed.FilterMessage("request").All()
}

// Await returns the first entry that match accepts, waiting for it to be logged.
func (l *Logs) Await(t testing.TB, what string, match func(observer.LoggedEntry) bool) observer.LoggedEntry {
	t.Helper()
	limit := time.NewTimer(awaitLimit)
	defer limit.Stop()
	for {
		l.mu.Lock()
		changed := l.changed // taken before looking, so no entry slips between look and wait
		l.mu.Unlock()
		for _, e := range l.observed.All() {
			if match(e) {
				return e
			}
		}
		select {
		case <-changed:
		case <-limit.C:
			t.Fatalf("no log entry %s within %s; logged:\n%s", what, awaitLimit, l.Text())
		}
	}
}

// AwaitAccessLine waits for the access-log line of the request with the given id.
func (l *Logs) AwaitAccessLine(t testing.TB, requestID string) observer.LoggedEntry {
	t.Helper()
	return l.Await(t, "request with request_id "+requestID, func(e observer.LoggedEntry) bool {
		return e.Message == "request" && e.ContextMap()["request_id"] == requestID
	})
}

// Text renders every entry as the production JSON encoder would write it: message, level
// and every field, serialised. Searching it finds anything that would reach a log file.
func (l *Logs) Text() string {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	var b strings.Builder
	for _, e := range l.observed.All() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			b.WriteString("<unencodable entry: " + err.Error() + ">\n")
			continue
		}
		b.Write(buf.Bytes())
		buf.Free()
	}
	return b.String()
}

func (l *Logs) notify() {
	l.mu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// notifyingCore tells Logs after each write. It must register itself in Check (not the
// observer's core), or Write would bypass it.
type notifyingCore struct {
	zapcore.Core
	logs *Logs
}

func (c *notifyingCore) With(fields []zapcore.Field) zapcore.Core {
	return &notifyingCore{Core: c.Core.With(fields), logs: c.logs}
}

func (c *notifyingCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *notifyingCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	err := c.Core.Write(e, fields)
	c.logs.notify()
	return err
}
