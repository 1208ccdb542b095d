package proxy

import (
	"net/http"
	"strings"

	"github.com/budgetgw/gateway/internal/auth"
)

// authenticate finds the caller from the key sent where the upstream's token would go.
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r)
		raw := x.up.callerKey(r)
		key, failure := x.snap.keys.Authenticate(raw, g.now())
		if failure == auth.OK {
			x.caller, x.keyID = key.Caller, key.ID
			g.onAuth(key.ID)
			next.ServeHTTP(w, r)
			return
		}
		g.metrics.AuthFailures.WithLabelValues(string(failure)).Inc()
		x.outcome = "auth_" + string(failure)
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
