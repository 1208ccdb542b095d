package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/budgetgw/gateway/internal/app"
	"github.com/budgetgw/gateway/internal/logline"
)

// fileLogger is the production logger at info, writing to a file of its own (path), with
// flushEvery between timed flushes.
func fileLogger(t *testing.T, flushEvery time.Duration) (log *zap.Logger, closeLog func() error, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "access.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	log, closeLog, err = app.NewLoggerTo("info", f, flushEvery)
	if err != nil {
		t.Fatal(err)
	}
	return log, closeLog, path
}

// The access log is buffered so that no request waits for the disk; what that must not
// cost is a line: every line written before close is in the file afterwards, whole, one
// JSON object per line, however many requests wrote at once.
func TestEveryLogLineIsWrittenWholeByClose(t *testing.T) {
	t.Parallel()
	// An hour between timed flushes: only the buffer filling up and close write anything.
	log, closeLog, path := fileLogger(t, time.Hour)
	const writers, each = 8, 2000 // well over the buffer's size in all
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				log.Info("request", zap.String("request_id", fmt.Sprintf("w%d-%d", w, i)), zap.String("route", "GET /api/v2/users"), zap.Int("status", 200))
			}
		})
	}
	wg.Wait()
	log.Debug("below the level: never written")
	if err := closeLog(); err != nil {
		t.Fatalf("close: %v", err)
	}

	seen := map[string]bool{}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var line struct {
			Level, Msg, TS string
			RequestID      string `json:"request_id"`
			Status         int
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a line is not whole JSON: %v: %q", err, sc.Text())
		}
		if line.Msg != "request" || line.Level != "info" || line.TS == "" || line.Status != 200 {
			t.Fatalf("line lost fields: %q", sc.Text())
		}
		if seen[line.RequestID] {
			t.Fatalf("line %s written twice", line.RequestID)
		}
		seen[line.RequestID] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != writers*each {
		t.Errorf("%d lines in the file after close, want %d", len(seen), writers*each)
	}
}

// Between requests nothing fills the buffer; the timed flush still writes a lone line
// soon, so a quiet gateway's log is not hours behind.
func TestALoneLineIsWrittenByTheTimedFlush(t *testing.T) {
	t.Parallel()
	log, closeLog, path := fileLogger(t, 10*time.Millisecond)
	t.Cleanup(func() { _ = closeLog() })
	log.Info("request", zap.String("request_id", "lone"))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if len(b) > 0 && b[len(b)-1] == '\n' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lone line was not written within 30 s")
		}
	}
}

func TestABadLevelNamesTheKey(t *testing.T) {
	t.Parallel()
	if _, _, err := app.NewLogger("loud"); err == nil || err.Error()[:10] != "log.level:" {
		t.Errorf("error %v, want one naming log.level", err)
	}
}

// The production logger takes access lines already encoded (package logline), in order
// with its own entries: without that, every request's line would go through zap's fields.
func TestTheLoggerTakesEncodedLinesInOrder(t *testing.T) {
	t.Parallel()
	log, closeLog, path := fileLogger(t, time.Hour)
	lw, ok := log.Core().(logline.Writer)
	if !ok {
		t.Fatalf("the logger's core (%T) does not take encoded lines", log.Core())
	}
	log.Info("before")
	l := logline.Start(zapcore.InfoLevel, time.Now(), "request")
	l.String("request_id", "r1")
	if err := lw.WriteLine(l.End()); err != nil {
		t.Fatal(err)
	}
	l.Release()
	log.Info("after")
	if err := closeLog(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var line struct{ Msg, Level string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %v: %s", err, sc.Text())
		}
		msgs = append(msgs, line.Level+" "+line.Msg)
	}
	if want := []string{"info before", "info request", "info after"}; !slices.Equal(msgs, want) {
		t.Errorf("lines %q, want %q", msgs, want)
	}
}
