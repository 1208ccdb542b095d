package proxy

import (
	"bytes"
	"net/http"
	"sync"
)

// flight is one upstream call that identical reads arriving meanwhile follow.
type flight struct {
	done   chan struct{}
	ok     bool // the leader got a whole upstream answer the followers may replay
	status int
	header http.Header
	body   []byte
}

// flights is the set of reads in flight, by share key.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

func newFlights() *flights { return &flights{m: map[string]*flight{}} }

// join returns the flight for key and whether the caller leads it (and must finish it).
func (f *flights) join(key string) (*flight, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl, ok := f.m[key]; ok {
		return fl, false
	}
	fl := &flight{done: make(chan struct{})}
	f.m[key] = fl
	return fl, true
}

// finish publishes the leader's answer to its followers and ends the flight.
func (f *flights) finish(key string, fl *flight) {
	f.mu.Lock()
	delete(f.m, key)
	f.mu.Unlock()
	close(fl.done)
}

// recorder passes an answer through to the client while keeping a copy (up to limit) for
// followers and the cache. With hold set it keeps the answer back instead, so a
// revalidation's 304 can be turned into the cached 200.
type recorder struct {
	w        http.ResponseWriter
	header   http.Header // what the handler sets; copied to w on WriteHeader unless holding
	status   int
	body     bytes.Buffer
	limit    int64
	overflow bool // the copy is incomplete: nothing may be replayed or stored
	hold     bool
}

func newRecorder(w http.ResponseWriter, limit int64, hold bool) *recorder {
	rec := &recorder{w: w, limit: limit, hold: hold, header: http.Header{}}
	if !hold {
		rec.header = w.Header()
	}
	return rec
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(code int) {
	if rec.status != 0 {
		return
	}
	rec.status = code
	if !rec.hold {
		rec.w.WriteHeader(code)
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	if !rec.overflow {
		if int64(rec.body.Len()+len(b)) > rec.limit {
			rec.overflow = true
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

// release stops holding: it writes the held header and body to the client.
func (rec *recorder) release() {
	if !rec.hold {
		return
	}
	rec.hold = false
	h := rec.w.Header()
	for k, v := range rec.header {
		h[k] = v
	}
	rec.header = h
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
