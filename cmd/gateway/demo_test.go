package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The demo prints curl lines for a newcomer to paste. Each one is run here as printed,
// against the demo it came from: a line whose comment says "refused with NNN" must get
// NNN, every other line a 2xx. Then a cancelled context stops the demo cleanly.
func TestDemoServesAndTheCurlLinesItPrintsWork(t *testing.T) {
	// Not parallel: the demo hands its org token to its config through the environment.
	out := &announcement{ready: make(chan struct{})}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-listen", "127.0.0.1:0", "-admin-listen", "127.0.0.1:0"}, out, io.Discard)
	}()
	select {
	case <-out.ready:
	case err := <-done:
		t.Fatalf("demo returned before serving: %v\n%s", err, out.text())
	case <-time.After(10 * time.Second):
		t.Fatalf("demo printed no instructions within 10 s:\n%s", out.text())
	}

	calls := curlLines(t, out.text())
	if len(calls) < 4 {
		t.Fatalf("found %d curl lines, want at least 4:\n%s", len(calls), out.text())
	}
	seen := map[int]bool{}
	for _, c := range calls {
		resp, err := http.DefaultClient.Do(c.request(t))
		if err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen[resp.StatusCode] = true
		ok := resp.StatusCode == c.want || (c.want == 0 && resp.StatusCode/100 == 2)
		if !ok {
			t.Errorf("%s\n  got %d, want %d (0: any 2xx): %s", c.line, resp.StatusCode, c.want, body)
		}
		if c.grep != "" && !regexp.MustCompile("(?m)"+c.grep).Match(body) {
			t.Errorf("%s\n  the output has no line matching %s", c.line, c.grep)
		}
	}
	for _, status := range []int{200, 401, 403} {
		if !seen[status] {
			t.Errorf("no curl line got %d; the demo must show a listing (200), a bad key (401) and a missing scope (403)", status)
		}
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo returned %v after its context ended, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo did not stop within 10 s of its context ending")
	}
}

// curl is one printed curl command, with what its comment promises.
type curl struct {
	line         string
	method, url  string
	header, data []string
	grep         string // the pattern of a "| grep 'PATTERN'" tail (matched line by line), if any
	want         int    // "refused with NNN" in the comment above; 0: success
}

var refusedWith = regexp.MustCompile(`refused with (\d{3})`)

func curlLines(t *testing.T, text string) []curl {
	t.Helper()
	var out []curl
	comment := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			comment = line
			continue
		}
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		c := curl{line: line, method: http.MethodGet}
		if m := refusedWith.FindStringSubmatch(comment); m != nil {
			c.want, _ = strconv.Atoi(m[1])
		}
		cmd, pipe, _ := strings.Cut(line, " | ")
		if words := shellWords(pipe); len(words) == 2 && words[0] == "grep" {
			c.grep = words[1]
		}
		words := shellWords(cmd)
		for i := 1; i < len(words); i++ {
			switch w := words[i]; w {
			case "-s":
			case "-X":
				i++
				c.method = words[i]
			case "-H":
				i++
				c.header = append(c.header, words[i])
			case "-d":
				i++
				c.data = append(c.data, words[i])
			default:
				if strings.HasPrefix(w, "-") {
					t.Fatalf("%s: the test does not know curl option %s", line, w)
				}
				c.url = w
			}
		}
		if c.url == "" {
			t.Fatalf("%s: no URL", line)
		}
		if !strings.Contains(c.url, "://") {
			c.url = "http://" + c.url // curl's default scheme
		}
		out = append(out, c)
		comment = ""
	}
	return out
}

func (c curl) request(t *testing.T) *http.Request {
	t.Helper()
	var body io.Reader
	if len(c.data) > 0 {
		body = strings.NewReader(strings.Join(c.data, "&"))
	}
	req, err := http.NewRequestWithContext(t.Context(), c.method, c.url, body)
	if err != nil {
		t.Fatalf("%s: %v", c.line, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // curl -d's default
	}
	for _, h := range c.header {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return req
}

// shellWords splits a command line as a POSIX shell would for these lines: on blanks,
// with single quotes grouping (no other quoting is printed).
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// announcement collects what the demo prints and closes ready once the instructions are
// complete, so the test starts calling exactly then.
type announcement struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (a *announcement) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buf.Write(p)
	if strings.Contains(a.buf.String(), "Press Ctrl-C") {
		a.once.Do(func() { close(a.ready) })
	}
	return len(p), nil
}

func (a *announcement) text() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.buf.String()
}
