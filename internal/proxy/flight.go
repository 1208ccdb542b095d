package proxy

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/budgetgw/gateway/internal/cache"
)

// flight is one upstream call that identical reads arriving meanwhile follow.
type flight struct {
	upstream, path string // forwarded path: a write to a related one detaches the flight
	done           chan struct{}
	once           sync.Once
	answer         *answer // set before done closes; nil: nothing to share, go alone
	followers      int     // how many joined; under flights.mu
}

// answer is what a flight hands its followers: the upstream's status, headers and body,
// without any header the gateway set for the leader.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// wait returns the flight's answer, or ctx's error if it ends first.
func (fl *flight) wait(ctx context.Context) (*answer, error) {
	select {
	case <-fl.done:
		return fl.answer, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// flights is the set of reads in flight, by share key.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

func newFlights() *flights { return &flights{m: map[string]*flight{}} }

// join returns the flight for key and whether the caller leads it (and must finish it).
func (f *flights) join(key, upstream, path string) (*flight, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl, ok := f.m[key]; ok {
		fl.followers++
		return fl, false
	}
	fl := &flight{upstream: upstream, path: path, done: make(chan struct{})}
	f.m[key] = fl
	return fl, true
}

// finish ends the flight and publishes what answer returns (nil, or a nil func: nothing to
// share) to its followers. answer is called only if someone follows: most reads are
// followed by nobody, and copying their answer would be wasted. Only the first call
// counts, so the leader may finish early (an answer too big to share) and again on its
// way out.
func (f *flights) finish(key string, fl *flight, answer func() *answer) {
	fl.once.Do(func() {
		f.mu.Lock()
		if f.m[key] == fl {
			delete(f.m, key)
		}
		followed := fl.followers > 0 // final: nobody can join once it is out of the map
		f.mu.Unlock()
		if followed && answer != nil {
			fl.answer = answer()
		}
		close(fl.done)
	})
}

// forget detaches the flights a write to path may change: reads arriving after the write
// start their own call rather than follow one that may have been answered before it.
func (f *flights) forget(upstream, path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for key, fl := range f.m {
		if fl.upstream == upstream && cache.Related(fl.path, path) {
			delete(f.m, key)
		}
	}
}

// recorder passes an answer through to the client while keeping a copy (up to limit) for
// followers and the cache. With hold set it keeps the answer back instead: a flight's
// leader publishes the answer before its own client is written to (a client that never
// reads cannot stall the followers), and a revalidation's 304 can become the cached 200.
type recorder struct {
	w        http.ResponseWriter
	header   http.Header // what the handlers below set: the upstream's headers, and ours for this call
	sent     http.Header // header as it was at WriteHeader: what a copy may share
	status   int
	body     bytes.Buffer
	limit    int64
	overflow bool // the copy is incomplete: nothing may be replayed or stored
	hold     bool
	// onOverflow runs when the copy is abandoned, before anything more reaches the client.
	onOverflow func()
}

// newRecorder starts with an empty header map, not w's, so the copy holds only what was
// set below the share step: headers the earlier steps set for this caller stay out of it.
func newRecorder(w http.ResponseWriter, limit int64, hold bool) *recorder {
	return &recorder{w: w, limit: limit, hold: hold, header: http.Header{}, onOverflow: func() {}}
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(code int) {
	if rec.status != 0 {
		return
	}
	if code >= 100 && code < 200 {
		return // informational: nothing to keep, and nothing a held answer may send early
	}
	rec.status = code
	rec.sent = rec.header.Clone()
	if rec.hold && streamed(rec.header) {
		// An event stream may never end while its reader waits: it is not held, not shared
		// and not cached, only passed on. (A JSON answer without a length is still held:
		// it ends within the upstream timeout, and sharing it is what saves points.)
		rec.overflow = true
		rec.onOverflow()
		rec.release()
		return
	}
	if !rec.hold {
		rec.passHeader()
		rec.w.WriteHeader(code)
	}
}

// passHeader copies the header to w, and from now on lets the handler write to w's own
// (trailers set after the body then reach the client).
func (rec *recorder) passHeader() {
	h := rec.w.Header()
	for k, v := range rec.header {
		h[k] = v
	}
	rec.header = h
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	if !rec.overflow {
		if int64(rec.body.Len()+len(b)) > rec.limit {
			rec.overflow = true
			rec.onOverflow()
			if rec.hold {
				rec.release() // too big to hold: send what we have and stream the rest
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

// streamed reports a server-sent event stream.
func streamed(h http.Header) bool {
	mt, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// release stops holding: it writes the held header and body to the client.
func (rec *recorder) release() {
	if !rec.hold {
		return
	}
	rec.hold = false
	if rec.status == 0 && rec.body.Len() == 0 {
		return // nothing was answered (the client left while waiting): nothing to send
	}
	rec.passHeader()
	rec.w.WriteHeader(max(rec.status, http.StatusOK))
	_, _ = rec.w.Write(rec.body.Bytes())
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.w }

// Flush passes flushes through unless holding. The writer below is wrapped (observe's
// statusWriter is no http.Flusher), so the flush must go through Unwrap.
func (rec *recorder) Flush() {
	if !rec.hold {
		_ = http.NewResponseController(rec.w).Flush()
	}
}

// replay writes a recorded answer to w; extra headers (and the caller's own request id)
// are set over the recorded ones.
func replay(w http.ResponseWriter, method string, status int, header http.Header, body []byte, extra map[string]string) {
	h := w.Header()
	for k, v := range header {
		if k == requestIDHeader || k == "Preference-Applied" { // the leader's, not this request's
			continue
		}
		h[k] = append([]string(nil), v...)
	}
	for k, v := range extra {
		h.Set(k, v)
	}
	w.WriteHeader(status)
	if method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
