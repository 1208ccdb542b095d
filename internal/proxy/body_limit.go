package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// limitBody refuses oversized bodies before any point is spent. A body of declared length
// is checked at once; one of unknown length (chunked) is read into memory up to the limit
// first, because finding out mid-forward would be after the points were spent.
func (g *Gateway) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tooLarge := func() {
			writeProblem(w, r, http.StatusRequestEntityTooLarge, "body-too-large",
				fmt.Sprintf("The request body is larger than the gateway's limit of %d bytes. Send a smaller body.", g.maxBody))
		}
		switch {
		case r.ContentLength > g.maxBody:
			tooLarge()
			return
		case r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody:
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.maxBody))
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				tooLarge()
				return
			}
			if err != nil {
				writeProblem(w, r, http.StatusBadRequest, "body-unreadable", "The request body could not be read. Send it again.")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}
