package proxy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/budgetgw/gateway/internal/logline"
	"github.com/budgetgw/gateway/internal/proxytest"
)

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Sync() error { return nil }

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lineCore is a JSON core that takes pre-encoded lines too, as the production logger's.
type lineCore struct {
	zapcore.Core
	out io.Writer
}

func (c lineCore) WriteLine(line []byte) error {
	_, err := c.out.Write(line)
	return err
}

var _ logline.Writer = lineCore{}

// TestAccessLineIsTheSameEncodedEitherWay serves the same requests through a gateway
// whose logger takes encoded lines (as production's does) and one that gets zap fields
// (as tests' observers do): each request's line has the same keys in the same order, and
// the same values but for the times.
func TestAccessLineIsTheSameEncodedEitherWay(t *testing.T) {
	t.Parallel()
	encoder := func() zapcore.Encoder { return zapcore.NewJSONEncoder(logline.EncoderConfig()) }
	var viaLine, viaZap lockedBuffer
	lineLogger := zap.New(lineCore{Core: zapcore.NewCore(encoder(), &viaLine, zap.InfoLevel), out: &viaLine})
	zapLogger := zap.New(zapcore.NewCore(encoder(), &viaZap, zap.InfoLevel))

	requests := []struct{ key, method, path string }{
		{proxytest.Reader, "GET", "/api/v2/users/42"},
		{"", "GET", "/api/v2/users"},
		{proxytest.Reader, "GET", "/api/v2/groups"},
		{proxytest.Reader, "GET", "/api/v2/nowhere"},
		{proxytest.Reader, "GET", "/api/v2/users/%2e%2e/groups"},
		{proxytest.Capped, "GET", "/api/v2/users"},
		{proxytest.Capped, "GET", "/api/v2/users"}, // refused by its cap: reason is logged
		{proxytest.Writer, "POST", "/api/v2/folders"},
	}
	for _, logger := range []*zap.Logger{lineLogger, zapLogger} {
		gw := proxytest.StartRetool(t, proxytest.RetoolOptions{Logger: logger})
		for i, r := range requests {
			var body io.Reader
			if r.method == "POST" {
				body = strings.NewReader(`{"name":"f","parent_folder_id":"root","folder_type":"app"}`)
			}
			req := gw.NewRequest(t, r.method, r.path, body)
			if r.key != "" {
				req.Header.Set("Authorization", "Bearer "+gw.Key(r.key))
			}
			req.Header.Set("X-Request-Id", fmt.Sprintf("same-%d", i))
			gw.Do(t, req)
		}
		if err := gw.Stop(); err != nil {
			t.Fatal(err)
		}
	}

	line, direct := accessLines(t, viaLine.String()), accessLines(t, viaZap.String())
	for i := range requests {
		id := fmt.Sprintf("same-%d", i)
		a, b := line[id], direct[id]
		if a == nil || b == nil {
			t.Fatalf("%s: no access line (encoded %v, zap %v)", id, a != nil, b != nil)
		}
		if !slices.Equal(a.keys, b.keys) {
			t.Errorf("%s: keys differ:\n encoded %v\n zap     %v", id, a.keys, b.keys)
		}
		for k, v := range b.values {
			switch k {
			case "ts", "duration", "upstream_duration", "wait":
				continue
			}
			if a.values[k] != v {
				t.Errorf("%s: %s is %v encoded, %v through zap", id, k, a.values[k], v)
			}
		}
	}
}

type accessEntry struct {
	keys   []string
	values map[string]any
}

// accessLines reads the "request" lines of a JSON log, by request id, keeping key order.
func accessLines(t *testing.T, log string) map[string]*accessEntry {
	t.Helper()
	out := map[string]*accessEntry{}
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		e := &accessEntry{values: map[string]any{}}
		if err := json.Unmarshal(sc.Bytes(), &e.values); err != nil {
			t.Fatalf("a log line is not JSON: %v: %s", err, sc.Text())
		}
		if e.values["msg"] != "request" {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		_, _ = dec.Token() // {
		for dec.More() {
			k, _ := dec.Token()
			e.keys = append(e.keys, k.(string))
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
		out[e.values["request_id"].(string)] = e
	}
	return out
}
