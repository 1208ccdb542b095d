package proxy

import (
	"errors"
	"net/http"

	"go.uber.org/zap"
)

// recoverPanic turns a panic below into a 500 and a log line. http.ErrAbortHandler is
// re-raised: it is how the reverse proxy aborts a response it can no longer finish.
func (g *Gateway) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			g.log.Error("panic serving request", zap.Any("panic", v), zap.Stack("stack"))
			if x := exchangeOf(r); x != nil {
				x.outcome = "" // whatever was under way, the answer is now the 500
			}
			writeProblem(w, r, http.StatusInternalServerError, "internal", "The gateway failed while handling this request. It has been logged; retry, and report the request id if it persists.")
		}()
		next.ServeHTTP(w, r)
	})
}
