package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/keys"
	"github.com/budgetgw/gateway/internal/peer"
	"github.com/budgetgw/gateway/internal/problem"
	"github.com/budgetgw/gateway/internal/secret"
)

// Options build the admin API.
type Options struct {
	Token secret.Value
	Keys  *keys.Manager
	// Usage reports each caller's points counted now, per budget.
	Usage func(ctx context.Context) map[string]map[string]int64
	// Logger gets a warning for each failed login (never the token sent); nil: none.
	Logger *zap.Logger
	// Failures counts failed logins by reason (missing, wrong, throttled); nil: not counted.
	Failures *prometheus.CounterVec
	// FailureLimit is how many failed logins one address may make per minute before it
	// is refused whatever it sends; 0: 10.
	FailureLimit int
	Now          func() time.Time // nil: time.Now
}

type api struct {
	o      Options
	logins *loginLimiter
}

// Handler serves /admin/v1/. Mount it at the root of the admin listener.
func Handler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FailureLimit <= 0 {
		o.FailureLimit = 10
	}
	a := &api{o: o, logins: newLoginLimiter(o.FailureLimit)}
	r := chi.NewRouter()
	r.Route("/admin/v1", func(r chi.Router) {
		r.Use(a.authorize)
		r.Get("/callers", a.listCallers)
		r.Put("/callers/{caller}", a.setCaller)
		r.Delete("/callers/{caller}", a.deleteCaller)
		r.Post("/callers/{caller}/keys", a.createKey)
		r.Get("/keys", a.listKeys)
		r.Post("/keys/{id}/disable", a.setDisabled(true))
		r.Post("/keys/{id}/enable", a.setDisabled(false))
		r.Post("/keys/{id}/rotate", a.rotate)
		r.Delete("/keys/{id}", a.deleteKey)
	})
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		problem.Write(w, problem.New(http.StatusNotFound, "admin-unknown-route", "No such admin API route. See docs/operations.md, section Admin API."))
	})
	return r
}

// authorize checks the admin token in constant time. Failures are logged (the address
// and why, never what was sent) and throttled per address.
func (a *api) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now, host := a.o.Now(), peer.Host(r.RemoteAddr)
		if blocked, retry := a.logins.blocked(host, now); blocked {
			a.failed("throttled")
			p := problem.New(http.StatusTooManyRequests, "admin-throttled", "Too many failed admin logins from your address. Check the admin token, then retry after the Retry-After delay.")
			p.RetryAfter = max(int64((retry+time.Second-1)/time.Second), 1)
			problem.Write(w, p)
			return
		}
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(a.o.Token.Reveal())) != 1 {
			reason := "wrong"
			if strings.TrimSpace(tok) == "" {
				reason = "missing"
			}
			a.failed(reason)
			a.o.Logger.Warn("admin login failed", zap.String("remote", host), zap.String("reason", reason),
				zap.String("method", r.Method), zap.Bool("limit_reached", a.logins.fail(host, now)))
			w.Header().Set("WWW-Authenticate", `Bearer realm="gateway-admin"`)
			problem.Write(w, problem.New(http.StatusUnauthorized, "admin-unauthorized", "Send the admin token as Authorization: Bearer <token> (admin.token_env or admin.token_file)."))
			return
		}
		next.ServeHTTP(w, r.WithContext(keys.WithClaimedActor(r.Context(), claimedActor(r))))
	})
}

func (a *api) failed(reason string) {
	if a.o.Failures != nil {
		a.o.Failures.WithLabelValues(reason).Inc()
	}
}

// who names what was verified for the audit line: the admin token, from this address.
// The client's own X-Actor goes beside it as actor_claimed (nothing verifies it).
func who(r *http.Request) string { return "admin-token@" + peer.Host(r.RemoteAddr) }

// claimedActor is X-Actor when short and printable, else "".
func claimedActor(r *http.Request) string {
	a := r.Header.Get("X-Actor")
	if len(a) > 64 || strings.ContainsFunc(a, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
		return ""
	}
	return a
}

type callerOut = CallerOut

func (a *api) listCallers(w http.ResponseWriter, r *http.Request) {
	usage := map[string]map[string]int64{}
	if a.o.Usage != nil {
		usage = a.o.Usage(r.Context())
	}
	out := []callerOut{}
	for _, c := range a.o.Keys.Callers() {
		u := map[string]int64{}
		for budgetName, byCaller := range usage {
			u[budgetName] = byCaller[c.Name]
		}
		if c.Keys == nil {
			c.Keys = []keys.KeyView{}
		}
		out = append(out, callerOut{CallerView: c, Usage: u})
	}
	writeJSON(w, http.StatusOK, map[string]any{"callers": out})
}

func (a *api) listKeys(w http.ResponseWriter, _ *http.Request) {
	out := []keys.KeyView{}
	for _, c := range a.o.Keys.Callers() {
		out = append(out, c.Keys...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

type callerIn = CallerIn

func (a *api) setCaller(w http.ResponseWriter, r *http.Request) {
	var in callerIn
	if !readJSON(w, r, &in) {
		return
	}
	cs, err := a.o.Keys.SetCaller(r.Context(), who(r), keys.CallerSettings{Name: chi.URLParam(r, "caller"), Scopes: in.Scopes, Priority: in.Priority, MaxPoints: in.MaxPoints})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

type createIn = CreateIn

type createdOut = CreatedOut

func (a *api) createKey(w http.ResponseWriter, r *http.Request) {
	var in createIn
	if !readJSON(w, r, &in) {
		return
	}
	var ttl time.Duration
	if in.ExpiresIn != "" {
		d, err := time.ParseDuration(in.ExpiresIn)
		if err != nil || d <= 0 {
			problem.Write(w, problem.New(http.StatusBadRequest, "admin-bad-request", "expires_in must be a positive duration such as 720h."))
			return
		}
		ttl = d
	}
	c, err := a.o.Keys.CreateKey(r.Context(), who(r), chi.URLParam(r, "caller"), in.Name, ttl)
	if err != nil {
		writeError(w, err)
		return
	}
	writeCreated(w, c)
}

type rotateIn = RotateIn

func (a *api) rotate(w http.ResponseWriter, r *http.Request) {
	var in rotateIn
	if !readJSON(w, r, &in) {
		return
	}
	grace := 24 * time.Hour
	if in.Grace != "" {
		d, err := time.ParseDuration(in.Grace)
		if err != nil || d < 0 {
			problem.Write(w, problem.New(http.StatusBadRequest, "admin-bad-request", "grace must be a duration such as 1h (0 ends the old key now)."))
			return
		}
		grace = d
	}
	c, err := a.o.Keys.RotateKey(r.Context(), who(r), chi.URLParam(r, "id"), grace)
	if err != nil {
		writeError(w, err)
		return
	}
	writeCreated(w, c)
}

func writeCreated(w http.ResponseWriter, c keys.Created) {
	writeJSON(w, http.StatusCreated, createdOut{Key: c.Key, Secret: c.Secret.Reveal(),
		Note: "The secret is shown only in this response. Store it in the service's secret store; it is sent as Authorization: Bearer <secret>."})
}

func (a *api) setDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		k, err := a.o.Keys.SetDisabled(r.Context(), who(r), chi.URLParam(r, "id"), disabled)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, k)
	}
}

func (a *api) deleteCaller(w http.ResponseWriter, r *http.Request) {
	if err := a.o.Keys.DeleteCaller(r.Context(), who(r), chi.URLParam(r, "caller")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) deleteKey(w http.ResponseWriter, r *http.Request) {
	if err := a.o.Keys.DeleteKey(r.Context(), who(r), chi.URLParam(r, "id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		return true // every field is optional
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		problem.Write(w, problem.New(http.StatusBadRequest, "admin-bad-request", fmt.Sprintf("The JSON body could not be read (%v). Send the documented fields only.", err)))
		return false
	}
	return true
}

func writeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, keys.ErrNotFound):
		problem.Write(w, problem.New(http.StatusNotFound, "admin-not-found", detailOf(err, keys.ErrNotFound)))
	case errors.Is(err, keys.ErrConflict):
		problem.Write(w, problem.New(http.StatusConflict, "admin-conflict", detailOf(err, keys.ErrConflict)))
	case errors.Is(err, keys.ErrInvalid):
		problem.Write(w, problem.New(http.StatusBadRequest, "admin-bad-request", detailOf(err, keys.ErrInvalid)))
	default:
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "admin-unavailable", "The key store could not be changed right now; try again. ("+err.Error()+")"))
	}
}

// detailOf drops the sentinel's own words ("conflict: ...") that the status already says.
func detailOf(err, sentinel error) string {
	d := strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
	return strings.ToUpper(d[:1]) + d[1:] + "."
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
