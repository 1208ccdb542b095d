package share

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// Recorder passes an answer through to the client while keeping a copy (up to limit) for
// followers and the cache. With hold set it keeps the answer back instead: a flight's
// leader publishes the answer before its own client is written to (a client that never
// reads cannot stall the followers), and a revalidation's 304 can become the cached 200.
type Recorder struct {
	w        http.ResponseWriter
	header   http.Header // what the handlers below set: the upstream's headers, and ours for this call
	sent     http.Header // header as it was at WriteHeader: what a copy may share
	status   int
	body     bytes.Buffer
	limit    int64
	overflow bool // the copy is incomplete: nothing may be replayed or stored
	hold     bool
	// OnOverflow runs when the copy is abandoned, before anything more reaches the client.
	OnOverflow func()
}

// NewRecorder starts with an empty header map, not w's, so the copy holds only what was
// set below the share step: headers the earlier steps set for this caller stay out of it.
func NewRecorder(w http.ResponseWriter, limit int64, hold bool) *Recorder {
	return &Recorder{w: w, limit: limit, hold: hold, header: http.Header{}, OnOverflow: func() {}}
}

// presize is the largest stated Content-Length the copy is sized for up front.
const presize = 32 << 10

func (rec *Recorder) Header() http.Header { return rec.header }

func (rec *Recorder) WriteHeader(code int) {
	if rec.status != 0 {
		return
	}
	if code >= 100 && code < 200 {
		return // informational: nothing to keep, and nothing a held answer may send early
	}
	rec.status = code
	// The header as it is now is what a copy may share. It is kept as it is, uncopied
	// (most answers are never shared), and nothing below writes to it again: held, later
	// changes go to a map of their own until Release; passed on, to w's header.
	rec.sent = rec.header
	if rec.hold {
		rec.header = http.Header{}
	}
	if rec.hold && streamed(rec.sent) {
		// An event stream may never end while its reader waits: it is not held, not shared
		// and not cached, only passed on. (A JSON answer without a length is still held:
		// it ends within the upstream timeout, and sharing it is what saves points.)
		rec.overflow = true
		rec.OnOverflow()
		rec.Release()
		return
	}
	// A body of known, modest length gets one allocation of its size, not a few growing
	// ones. (Modest: the answer to a HEAD states a length and has no body.)
	if n, err := strconv.ParseInt(first(rec.sent["Content-Length"]), 10, 64); err == nil && n > 0 && n <= min(rec.limit, presize) {
		rec.body.Grow(int(n))
	}
	if !rec.hold {
		rec.passHeader(false)
		rec.w.WriteHeader(code)
	}
}

// passHeader copies the header to w (what was sent, then what a held answer's handler set
// after its status), and from now on lets the handler write to w's own (trailers set after
// the body then reach the client). The value slices are shared, never written in place.
func (rec *Recorder) passHeader(held bool) {
	h := rec.w.Header()
	if held && rec.sent != nil {
		for k, v := range rec.sent {
			h[k] = v
		}
	}
	for k, v := range rec.header {
		h[k] = v
	}
	rec.header = h
}

func (rec *Recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	if !rec.overflow {
		if int64(rec.body.Len()+len(b)) > rec.limit {
			rec.overflow = true
			rec.OnOverflow()
			if rec.hold {
				rec.Release() // too big to hold: send what we have and stream the rest
			}
			rec.body.Reset()
		} else {
			rec.body.Write(b)
		}
	}
	if rec.hold {
		return len(b), nil
	}
	return rec.w.Write(b)
}

// first is Header.Get for a name already canonical (no canonicalising per answer).
func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// streamed reports a server-sent event stream.
func streamed(h http.Header) bool {
	mt, _, _ := strings.Cut(first(h["Content-Type"]), ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// Release stops holding: it writes the held header and body to the client.
func (rec *Recorder) Release() {
	if !rec.hold {
		return
	}
	rec.hold = false
	if rec.status == 0 && rec.body.Len() == 0 {
		return // nothing was answered (the client left while waiting): nothing to send
	}
	rec.passHeader(true)
	rec.w.WriteHeader(max(rec.status, http.StatusOK))
	_, _ = rec.w.Write(rec.body.Bytes())
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *Recorder) Unwrap() http.ResponseWriter { return rec.w }

// Flush passes flushes through unless holding. The writer below is wrapped (observe's
// statusWriter is no http.Flusher), so the flush must go through Unwrap.
func (rec *Recorder) Flush() {
	if !rec.hold {
		_ = http.NewResponseController(rec.w).Flush()
	}
}

// Status is the answer's status; 0 while nothing was answered.
func (rec *Recorder) Status() int { return rec.status }

// Sent is the header as it was when the status was written: what a copy may share.
func (rec *Recorder) Sent() http.Header { return rec.sent }

// Body is the copy of the body kept so far; it is not complete when Overflowed.
func (rec *Recorder) Body() []byte { return rec.body.Bytes() }

// Overflowed reports that the copy was abandoned (too big, or a stream): nothing may be
// replayed or stored.
func (rec *Recorder) Overflowed() bool { return rec.overflow }
