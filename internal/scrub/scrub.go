package scrub

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
)

// MinToken is the shortest org token the gateway scrubs from answers: a shorter one
// would match ordinary text and corrupt answers (no real API token is that short).
const MinToken = 8

// ErrEncoding is an upstream answer in an encoding the scrubber cannot read. The
// gateway asks for identity, so only an upstream that ignores Accept-Encoding sends one.
var ErrEncoding = errors.New("upstream answer in a content encoding the gateway does not decode")

// Scrubber finds the org token in what an upstream answers and masks it. An upstream that
// reflects request headers (a debug echo, an error message quoting them) would otherwise
// hand the organisation's token to a caller, who could then spend the budget, and use
// scopes, outside the gateway. The gateway is the one place that can stop it.
type Scrubber struct {
	token string
	bytes []byte
	mask  []byte // as long as the token, so Content-Length stays right
}

// New returns the scrubber of token, or nil for a token too short to scrub safely (a nil
// Scrubber scrubs nothing).
func New(token string) *Scrubber {
	if len(token) < MinToken {
		return nil
	}
	mask := bytes.Repeat([]byte("*"), len(token))
	copy(mask, "[redacted]")
	return &Scrubber{token: token, bytes: []byte(token), mask: mask}
}

// Header masks the token in h's values and drops any field whose name holds it;
// it reports whether it found any.
func (s *Scrubber) Header(h http.Header) bool {
	found := false
	for name, vs := range h {
		if len(name) >= len(s.token) && containsFold(name, s.token) {
			delete(h, name)
			found = true
			continue
		}
		for i, v := range vs {
			if strings.Contains(v, s.token) {
				vs[i] = strings.ReplaceAll(v, s.token, string(s.mask))
				found = true
			}
		}
	}
	return found
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// Answer makes resp safe to pass on: headers now, the body and trailers as they
// stream. found is told once per part ("header", "body", "trailer") that held the token.
func (s *Scrubber) Answer(resp *http.Response, found func(part string)) error {
	if s == nil {
		return nil
	}
	if s.Header(resp.Header) {
		found("header")
	}
	if !answerHasBody(resp) {
		return nil
	}
	if err := decodeAnswer(resp); err != nil {
		return err
	}
	resp.Body = &scrubReader{src: resp.Body, s: s, found: found, trailer: resp.Trailer}
	return nil
}

func answerHasBody(resp *http.Response) bool {
	if resp.Request != nil && resp.Request.Method == http.MethodHead {
		return false
	}
	return resp.StatusCode >= 200 && resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified &&
		resp.Body != nil && resp.Body != http.NoBody
}

// decodeAnswer undoes a gzip encoding (the scrubber must see the bytes a caller would
// decode) and refuses any other.
func decodeAnswer(resp *http.Response) error {
	var codings []string
	for _, v := range resp.Header["Content-Encoding"] { // canonical: read directly
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	switch {
	case len(codings) == 0:
		resp.Header.Del("Content-Encoding")
		return nil
	case len(codings) == 1 && (codings[0] == "gzip" || codings[0] == "x-gzip"):
		resp.Body = &gunzipBody{src: resp.Body}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
		return nil
	}
	return ErrEncoding
}

// gunzipBody decodes lazily: the gzip header is read with the body, not in ModifyResponse.
type gunzipBody struct {
	src io.ReadCloser
	zr  *gzip.Reader
}

func (b *gunzipBody) Read(p []byte) (int, error) {
	if b.zr == nil {
		zr, err := gzip.NewReader(b.src)
		if err != nil {
			return 0, err
		}
		b.zr = zr
	}
	return b.zr.Read(p)
}

func (b *gunzipBody) Close() error { return b.src.Close() }

// scrubReader masks the token in a body as it streams, across read boundaries: it holds
// back the longest tail of what it has read that could begin a token (at most
// len(token)-1 bytes, and none when no tail is a prefix of the token), so a streamed
// answer (server-sent events) still reaches the caller as it arrives.
// It never holds more than one buffer: nothing is read ahead of the caller.
type scrubReader struct {
	src   io.ReadCloser
	s     *Scrubber
	found func(part string) // "body" the first time the token is masked, "trailer" for the trailer
	// trailer is the answer's: the transport fills it at the end of the body, and the
	// reverse proxy copies it after, so masking it at EOF is in time.
	trailer http.Header

	buf         []byte
	pooled      *[]byte // buf's pool entry, returned on Close
	start, end  int     // buf[start:end] is read and not yet handed out
	ready       int     // buf[start:ready] is scrubbed for good: no token can begin there
	err         error
	foundBefore bool
}

const scrubBuffer = 32 << 10

// maxPooledToken is the longest token whose answers take their buffer from the pool.
const maxPooledToken = 1 << 10

// scrubBuffers saves the hot path an allocation per answer.
var scrubBuffers = sync.Pool{New: func() any { b := make([]byte, scrubBuffer+2*maxPooledToken); return &b }}

func (r *scrubReader) Read(p []byte) (int, error) {
	for r.ready == r.start {
		if r.err != nil {
			if r.start == r.end {
				return 0, r.err
			}
			r.ready = r.end // at the end nothing can follow: the rest is final
			break
		}
		r.fill()
	}
	n := copy(p, r.buf[r.start:r.ready])
	r.start += n
	return n, nil
}

// fill reads once from the source, masks every whole token in the unsent bytes and moves
// ready up to where a token could still begin.
func (r *scrubReader) fill() {
	tok := r.s.bytes
	if r.buf == nil {
		if len(tok) <= maxPooledToken {
			r.pooled = scrubBuffers.Get().(*[]byte)
			r.buf = *r.pooled
		} else {
			r.buf = make([]byte, scrubBuffer+2*len(tok))
		}
	}
	if len(r.buf)-r.end < scrubBuffer/2 {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.start, r.end, r.ready = 0, n, 0
	}
	n, err := r.src.Read(r.buf[r.end:])
	r.end += n
	for i := r.start; ; {
		j := bytes.Index(r.buf[i:r.end], tok)
		if j < 0 {
			break
		}
		copy(r.buf[i+j:], r.s.mask)
		i += j + len(tok)
		if !r.foundBefore {
			r.foundBefore = true
			r.found("body")
		}
	}
	r.ready = r.end - heldBack(r.buf[max(r.start, r.end-(len(tok)-1)):r.end], tok)
	if err != nil {
		r.err = err
		if errors.Is(err, io.EOF) && r.trailer != nil && r.s.Header(r.trailer) {
			r.found("trailer")
		}
	}
}

// heldBack is the length of the longest suffix of tail that is a prefix of tok: the bytes
// that must wait for the next read, since the token may go on there.
func heldBack(tail, tok []byte) int {
	for i := range tail {
		if bytes.HasPrefix(tok, tail[i:]) {
			return len(tail) - i
		}
	}
	return 0
}

func (r *scrubReader) Close() error {
	if r.pooled != nil {
		scrubBuffers.Put(r.pooled)
		r.pooled, r.buf = nil, nil
		r.start, r.end, r.ready = 0, 0, 0
	}
	return r.src.Close()
}

// Bytes masks the token in b, a document fetched with it (the OpenAPI document is served
// to callers), and reports whether it was there; b is returned as is when it was not.
func (s *Scrubber) Bytes(b []byte) ([]byte, bool) {
	if s == nil || !bytes.Contains(b, s.bytes) {
		return b, false
	}
	return bytes.ReplaceAll(b, s.bytes, s.mask), true
}
