package proxy

import (
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/peer"
)

// authenticate finds the caller from the key sent where the upstream's token would go.
// It reads nothing of the body: a request that fails here is answered, and its connection
// closed, with its body unread (no 100 Continue, no bytes buffered). A valid key is never
// refused; repeated failures of one bad key from one address are (see package faillimit).
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		now := g.now()
		raw := x.up.callerKey(r)
		key, failure := x.snap.keys.Authenticate(raw, now)
		if failure == auth.OK {
			x.caller, x.keyID, x.rawKey = key.Caller, key.ID, raw
			g.onAuth(key.ID)
			next.ServeHTTP(w, r)
			return
		}
		closeUnreadBody(w, r)
		addr := peer.Host(r.RemoteAddr)
		fk := auth.FailureKey(raw)
		if g.authFails.Blocked(addr, fk, now) {
			g.metrics.AuthFailures.WithLabelValues("throttled").Inc()
			x.outcome, x.quiet = "auth_throttled", true
			writeProblemWith(w, r, problem{Status: http.StatusTooManyRequests, Type: problemType("auth-throttled"),
				Detail:     "This key failed too often from your address. Fix the caller key your client sends, then retry after the Retry-After delay.",
				RetryAfter: ceilSeconds(g.authFails.RetryIn(now))})
			return
		}
		g.metrics.AuthFailures.WithLabelValues(string(failure)).Inc()
		x.outcome = "auth_" + string(failure)
		reached, quiet := g.authFails.Fail(addr, fk, now)
		x.quiet = quiet
		if reached {
			g.log.Warn("authentication failures from one address reached the limit; its further failures are answered unlogged until the minute ends",
				zap.String("peer", addr), zap.Int("limit", g.authFails.Limit()))
		}
		if failure == auth.Disabled {
			x.keyID = key.ID
			writeProblem(w, r, http.StatusLocked, "key-disabled", "This caller key is disabled. Ask the gateway's operators to enable it, or use another key of your service.")
			return
		}
		if x.up.bearer {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gateway"`)
		} else {
			w.Header().Set("WWW-Authenticate", x.up.header+` realm="gateway"`)
		}
		detail := map[auth.Failure]string{
			auth.Missing: "No caller key was sent. Send your gateway caller key " + x.up.keyHint() + ".",
			auth.Unknown: "The caller key is not known to the gateway. Check that you send a gateway caller key (gwk_...), not an upstream token, " + x.up.keyHint() + ".",
			auth.Expired: "The caller key has expired. Use your service's current key, or ask the operators for a new one.",
		}[failure]
		writeProblem(w, r, http.StatusUnauthorized, "key-"+string(failure), detail)
	})
}

// closeUnreadBody makes a refusal before authentication close its connection when a body
// was sent: otherwise net/http reads (and waits for) up to 256 KiB of it before answering,
// to keep the connection, and a keyless client would hold it as long as it liked.
func closeUnreadBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		w.Header().Set("Connection", "close")
	}
}

// callerKey reads the key from where the upstream's own token would be.
func (u *upstream) callerKey(r *http.Request) string {
	v := r.Header.Get(u.header)
	if !u.bearer {
		return strings.TrimSpace(v)
	}
	scheme, token, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func (u *upstream) keyHint() string {
	if u.bearer {
		return "as Authorization: Bearer <key>"
	}
	return "in the " + u.header + " header"
}
