package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/budgetgw/gateway/internal/readdeadline"
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
		db := readdeadline.New(r.Body, w, g.readTimeout, g.now)
		x.body = db
		r.Body = db
		if r.ContentLength < 0 {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.maxBody))
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				tooLarge()
				return
			case db.TimedOut():
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
		db.BoundUnread()
	})
}

// bodyTimeout answers a body that did not arrive within server.read_timeout.
func (g *Gateway) bodyTimeout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close") // what is left on the wire cannot be trusted
	writeProblem(w, r, http.StatusRequestTimeout, "body-timeout",
		fmt.Sprintf("The request body did not arrive within the gateway's read timeout (%s). Send the whole body promptly, or a smaller one.", g.readTimeout))
}
