package sandbox

import (
	"context"
	"crypto/subtle"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/retoolv2"
)

// maxBody bounds what one call may make the sandbox hold in memory.
const maxBody = 8 << 20

// Server is the simulated upstream. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	api  *retoolv2.API // nil unless Options.API is RetoolV2
	// apiErr is why the RetoolV2 stand-in could not be built (a damaged
	// data file); every admitted call is then answered 500 saying so.
	apiErr error

	mu          sync.Mutex
	token       string
	budget      ledger
	latencyRand *rand.Rand
	failRand    *rand.Rand
	arrivals    []Arrival
	rateLimited int
}

var _ http.Handler = (*Server)(nil)

// New builds a Server from opts; unset fields take the defaults described on Options.
func New(opts Options) *Server {
	s := &Server{opts: opts.withDefaults(), token: opts.Token}
	if s.opts.API == RetoolV2 {
		s.api, s.apiErr = retoolv2.New(s.opts.Seed, s.opts.Now)
	}
	s.reset()
	return s
}

// Reset forgets every arrival and the budget state, and restarts the seeded draws so a
// rerun of the same calls gets the same latencies and failures. With RetoolV2 it also
// puts the seeded organisation back as it was.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

func (s *Server) reset() {
	o := s.opts
	s.budget = ledger{capacity: o.Capacity, window: o.Window, lockout: o.Lockout}
	// Separate streams, so turning latency on does not change which calls fail.
	s.latencyRand = rand.New(rand.NewPCG(uint64(o.Seed), 0x1a7e))
	s.failRand = rand.New(rand.NewPCG(uint64(o.Seed), 0xfa11))
	s.arrivals = nil
	s.rateLimited = 0
	if s.api != nil {
		s.api.Reset()
	}
}

// SetToken replaces the accepted key; calls that arrive afterwards are checked against it.
func (s *Server) SetToken(tok string) {
	s.mu.Lock()
	s.token = tok
	s.mu.Unlock()
}

// ticket is what the checks decided for one call before any waiting.
type ticket struct {
	refusal *answer       // non-nil: refused before being charged; answer at once
	delay   time.Duration // simulated latency for an admitted call
	fail    bool          // admitted, charged, then answered 500
}

// ServeHTTP runs the pipeline in the real API's order: key, route, scope, budget; then
// waits the simulated latency and answers. Every call is recorded before its answer is
// written, so a caller that has its response can already see the arrival.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	a := Arrival{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
	}
	if ans := s.outsideAPI(r); ans != nil {
		a.At = s.opts.Now()
		a.Status = ans.status
		s.record(a)
		ans.write(w)
		return
	}
	t := s.check(r, &a)
	ans := t.refusal
	if ans == nil {
		if !sleep(r.Context(), t.delay) {
			a.Status = StatusClientClosed
			s.record(a)
			return
		}
		switch {
		case t.fail:
			ans = failure(http.StatusInternalServerError, "Simulated upstream failure")
		case s.apiErr != nil:
			ans = failure(http.StatusInternalServerError, "sandbox: "+s.apiErr.Error())
		case s.api != nil:
			ans = &answer{}
			ans.status, ans.raw = s.api.Serve(r.Method, r.URL, body)
		default:
			ans = reply(s.opts, r.Method, r.URL.Path, body)
		}
	}
	a.Status = ans.status
	s.record(a)
	ans.write(w)
}

// check decides everything that depends on shared state in one critical section, so
// concurrent calls are charged as if they arrived one after another. Cost, Allow and
// Collection run under the lock: they must be quick and must not call the Server.
func (s *Server) check(r *http.Request, a *Arrival) ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	a.At = now
	if ans := s.authenticate(r.Header.Get(s.opts.Header)); ans != nil {
		return ticket{refusal: ans}
	}
	cost, ok := s.opts.Cost(r.Method, r.URL.Path)
	if !ok {
		return ticket{refusal: failure(http.StatusNotFound, "Not found")}
	}
	if !s.opts.Allow(r.Method, r.URL.Path) {
		msg := "The API token lacks the scope this endpoint requires"
		if s.opts.Forbidden != nil {
			msg = s.opts.Forbidden(r.Method, r.URL.Path)
		}
		return ticket{refusal: failure(http.StatusForbidden, msg)}
	}
	if v := s.budget.admit(now, cost); !v.allowed {
		s.rateLimited++
		return ticket{refusal: rateLimited(v.retryAfter)}
	}
	a.Cost = cost
	return ticket{delay: s.drawDelay(), fail: s.failRand.Float64() < s.opts.FailRate}
}

// authenticate answers 401 or 423, or nil when the key is the accepted one.
func (s *Server) authenticate(value string) *answer {
	key := strings.TrimSpace(value)
	if s.opts.Scheme != "" {
		scheme, rest, found := strings.Cut(key, " ")
		key = strings.TrimSpace(rest)
		if !found || !strings.EqualFold(scheme, s.opts.Scheme) {
			key = ""
		}
	}
	switch {
	case key == "":
		return failure(http.StatusUnauthorized, "Missing or malformed API token")
	case slices.Contains(s.opts.DisabledTokens, key):
		return failure(http.StatusLocked, "This API key is disabled")
	case s.token == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.token)) != 1:
		return failure(http.StatusUnauthorized, "Invalid API token")
	}
	return nil
}

func (s *Server) drawDelay() time.Duration {
	lo, hi := s.opts.Latency[0], s.opts.Latency[1]
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.latencyRand.Int64N(int64(hi-lo)+1))
}

// sleep waits d in real time, returning false if ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
