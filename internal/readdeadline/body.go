package readdeadline

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// Body sets the connection's read deadline when the body is first read and clears
// it at the end of the body. Cleared, because net/http starts a background read once the
// body is done (to notice a client leaving) and a deadline still set would fire there and
// cancel a request that is merely waiting for points or for the upstream. This is also why
// the server has no ReadTimeout: it would do the same to every long request.
type Body struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	now     func() time.Time
	started atomic.Bool // read on the handler's goroutine after the proxy's
	done    bool
	expired atomic.Bool // read on another goroutine (the proxy's error handler)
}

// New wraps body, the body of the request w answers; the deadline is timeout from the
// first read, on now's clock.
func New(body io.ReadCloser, w http.ResponseWriter, timeout time.Duration, now func() time.Time) *Body {
	return &Body{ReadCloser: body, rc: http.NewResponseController(w), timeout: timeout, now: now}
}

func (b *Body) Read(p []byte) (int, error) {
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

// TimedOut reports whether reading the body stopped at the read deadline (false for a
// nil Body: a request without one).
func (b *Body) TimedOut() bool { return b != nil && b.expired.Load() }

// BoundUnread bounds, when the body was never read (the request was refused before it
// was forwarded), net/http's read of it: before answering, net/http reads up to 256 KiB
// of an unread body (to keep the connection), and that read gets the same timeout.
func (b *Body) BoundUnread() {
	if !b.started.Load() {
		_ = b.rc.SetReadDeadline(b.now().Add(b.timeout))
	}
}
