package scrub

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// chunked hands out b in the chunk sizes given, cycling, so a token falls across reads.
type chunked struct {
	b     []byte
	sizes []int
	i     int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(c.sizes[c.i%len(c.sizes)], len(p), len(c.b))
	c.i++
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// The body scrubber masks every occurrence of the token whatever the read boundaries,
// keeps the length (Content-Length stays right), and leaves every other byte alone.
func TestScrubReaderMasksTheTokenAcrossEveryReadBoundary(t *testing.T) {
	const token = "retool_org_0123456789abcdef"
	s := New(token)
	rng := rand.New(rand.NewPCG(7, 13))
	bodies := []string{
		"",
		token,
		"x" + token + "y",
		token + token,
		strings.Repeat("a", 40<<10) + token + strings.Repeat("b", 3),
		"retool_org_012345678" + token[:5], // a prefix only: untouched
		`{"echo":{"authorization":"Bearer ` + token + `"},"again":"` + token + `"}`,
		strings.Repeat("retool_org_", 5000) + token,
	}
	for i := range 20 {
		var b strings.Builder
		for range 50 + rng.IntN(500) {
			if rng.IntN(20) == 0 {
				b.WriteString(token)
			} else {
				b.WriteByte(byte('a' + rng.IntN(3)))
			}
		}
		_ = i
		bodies = append(bodies, b.String())
	}
	for bi, body := range bodies {
		want := strings.ReplaceAll(body, token, string(s.mask))
		for _, sizes := range [][]int{{1}, {2, 3}, {len(token) - 1}, {len(token)}, {len(token) + 1}, {7, 1, 64 << 10}, {64 << 10}} {
			found := 0
			r := &scrubReader{src: io.NopCloser(&chunked{b: []byte(body), sizes: sizes}), s: s, found: func(string) { found++ }}
			got, err := io.ReadAll(iotest.OneByteReader(r))
			if err != nil {
				t.Fatalf("body %d, chunks %v: %v", bi, sizes, err)
			}
			if string(got) != want {
				t.Fatalf("body %d, chunks %v: scrubbed body differs from the masked original", bi, sizes)
			}
			if strings.Contains(body, token) != (found == 1) {
				t.Fatalf("body %d, chunks %v: found told %d times; want once exactly when the token is there", bi, sizes, found)
			}
			got2, _ := io.ReadAll(&scrubReader{src: io.NopCloser(&chunked{b: []byte(body), sizes: sizes}), s: s, found: func(string) {}})
			if !bytes.Equal(got2, got) {
				t.Fatalf("body %d, chunks %v: large reads and one-byte reads disagree", bi, sizes)
			}
		}
	}
}

func TestATokenTooShortToScrubSafelyIsNotScrubbed(t *testing.T) {
	if New("abc") != nil {
		t.Fatal("a 3-byte token would mask ordinary text in every answer")
	}
}

// The scrubber's cost on the hot path: one 64 KiB answer without the token.
func BenchmarkScrubReader64KiB(b *testing.B) {
	s := New("retool_org_0123456789abcdef")
	body := bytes.Repeat([]byte(`{"id":"usr_0123","email":"a@example.com"},`), 64<<10/42)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := &scrubReader{src: io.NopCloser(bytes.NewReader(body)), s: s, found: func(string) {}}
		_, _ = io.Copy(io.Discard, r)
		_ = r.Close()
	}
}
