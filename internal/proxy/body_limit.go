package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// limitBody refuses oversized bodies before any point is spent. A body of declared length
// is checked at once; one of unknown length (chunked) is read into memory up to the limit
// first, because finding out mid-forward would be after the points were spent.
//
// It runs after authenticate: a keyless client never gets a byte of its body read (so
// neither buffered, nor answered 100 Continue, which net/http sends on the first read).
// Every body read is bounded by server.read_timeout from the moment reading starts, so an
// authenticated caller that stops sending mid-body holds its connection no longer than that.
func (g *Gateway) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tooLarge := func() {
			writeProblem(w, r, http.StatusRequestEntityTooLarge, "body-too-large",
				fmt.Sprintf("The request body is larger than the gateway's limit of %d bytes. Send a smaller body.", g.maxBody))
		}
		if r.ContentLength > g.maxBody {
			tooLarge()
			return
		}
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		x := exchangeOf(r)
		db := &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(w), timeout: g.readTimeout, now: g.now}
		x.body = db
		r.Body = db
		if r.ContentLength < 0 {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.maxBody))
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				tooLarge()
				return
			case db.timedOut():
				g.bodyTimeout(w, r)
				return
			case err != nil:
				writeProblem(w, r, http.StatusBadRequest, "body-unreadable", "The request body could not be read. Send it again.")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
		if !db.started.Load() {
			// Refused before forwarding: net/http reads up to 256 KiB of the unread body
			// before answering (to keep the connection). That read is bounded too.
			_ = db.rc.SetReadDeadline(g.now().Add(g.readTimeout))
		}
	})
}

// bodyTimeout answers a body that did not arrive within server.read_timeout.
func (g *Gateway) bodyTimeout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close") // what is left on the wire cannot be trusted
	writeProblem(w, r, http.StatusRequestTimeout, "body-timeout",
		fmt.Sprintf("The request body did not arrive within the gateway's read timeout (%s). Send the whole body promptly, or a smaller one.", g.readTimeout))
}

// deadlineBody sets the connection's read deadline when the body is first read and clears
// it at the end of the body. Cleared, because net/http starts a background read once the
// body is done (to notice a client leaving) and a deadline still set would fire there and
// cancel a request that is merely waiting for points or for the upstream. This is also why
// the server has no ReadTimeout: it would do the same to every long request.
type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	now     func() time.Time
	started atomic.Bool // read on the handler's goroutine after the proxy's
	done    bool
	expired atomic.Bool // read on another goroutine (the proxy's error handler)
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if !b.started.Load() {
		b.started.Store(true)
		_ = b.rc.SetReadDeadline(b.now().Add(b.timeout)) // unsupported (tests' recorders): no deadline
	}
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		var ne net.Error
		switch {
		case errors.Is(err, io.EOF):
			_ = b.rc.SetReadDeadline(time.Time{})
		case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
			b.expired.Store(true)
		}
	}
	return n, err
}

// timedOut reports whether reading the body stopped at the read deadline.
func (b *deadlineBody) timedOut() bool { return b != nil && b.expired.Load() }
