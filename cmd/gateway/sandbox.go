package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/sandbox"
	"github.com/budgetgw/gateway/internal/scopes"
)

// sandboxKeep bounds the sandbox's in-memory log of calls: it runs for days.
const sandboxKeep = 10000

// sandboxCmd serves a stand-in for Retool's API v2 that a team can develop
// against without spending the organisation's points: every operation of
// the document, a seeded organisation whose state calls change, and the
// real API's budget, lockout, token and scope checks.
func sandboxCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sandbox", stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "address to serve the simulated Retool API on")
	capacity := fs.Int64("capacity", 300, "points per window before calls are refused 429 (0: no budget)")
	window := fs.Duration("window", 60*time.Second, "the budget's sliding window")
	lockout := fs.Duration("lockout", 60*time.Second, "how long every call is refused after going over (0: none)")
	tokenEnv := fs.String("token-env", "RETOOL_API_TOKEN", "environment variable holding the bearer token the sandbox accepts")
	scopeList := fs.String("scopes", "*", "comma-separated scopes the token holds, e.g. users:read,groups:write or *")
	latency := fs.String("latency", "5ms-40ms", "random delay before each answer: MIN-MAX, or one duration")
	failRate := fs.Float64("fail-rate", 0, "fraction of charged calls answered 500, e.g. 0.01")
	seed := fs.Int64("seed", 1, "seed of the organisation's data, the latencies and the failures")
	quiet := fs.Bool("quiet", false, "do not log each call to standard error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := sandbox.Options{
		Capacity: *capacity, Window: *window, Lockout: *lockout, FailRate: *failRate, Seed: *seed,
		API: sandbox.RetoolV2, KeepArrivals: sandboxKeep,
	}
	held, err := sandboxFlags(&opts, *latency, *scopeList)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return usageError{err}
	}
	opts.Token = os.Getenv(*tokenEnv)
	if opts.Token == "" {
		return fmt.Errorf("sandbox: $%s is empty: set it to the token callers must present (-token-env names another variable)", *tokenEnv)
	}
	table, err := routes.Build("retool-v2", "retool-v2", nil)
	if err != nil {
		return err
	}
	opts.UseRoutes(table)
	opts.UseScopes(table, held)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	var handler http.Handler = sandbox.New(opts)
	if !*quiet {
		handler = logCalls(handler, stderr)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	budget := "no budget"
	if opts.Capacity > 0 {
		budget = fmt.Sprintf("%d points per %v, then 429", opts.Capacity, opts.Window)
		if opts.Lockout > 0 {
			budget += fmt.Sprintf(" and a %v lockout", opts.Lockout)
		}
	}
	fmt.Fprintf(stdout, `Sandbox: a simulated Retool API v2 at http://%s/api/v2
(%s; the token in $%s holds %s; seed %d).
Try: curl -s -H "Authorization: Bearer $%s" http://%s/api/v2/users?limit=5
Press Ctrl-C to stop.
`, ln.Addr(), budget, *tokenEnv, strings.Join(held.Strings(), ","), *seed, *tokenEnv, ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("sandbox: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("sandbox: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// sandboxFlags checks the flags that need parsing, reporting every bad one.
func sandboxFlags(o *sandbox.Options, latency, scopeList string) (scopes.Set, error) {
	var errs []error
	if o.Capacity < 0 {
		errs = append(errs, fmt.Errorf("-capacity %d: must not be negative", o.Capacity))
	}
	if o.Capacity > 0 && o.Window <= 0 {
		errs = append(errs, fmt.Errorf("-window %v: must be positive", o.Window))
	}
	if o.Lockout < 0 {
		errs = append(errs, fmt.Errorf("-lockout %v: must not be negative", o.Lockout))
	}
	if o.FailRate < 0 || o.FailRate > 1 {
		errs = append(errs, fmt.Errorf("-fail-rate %v: must be between 0 and 1", o.FailRate))
	}
	lo, hi, err := parseLatency(latency)
	if err != nil {
		errs = append(errs, fmt.Errorf("-latency %q: %w", latency, err))
	}
	o.Latency = [2]time.Duration{lo, hi}
	var list []string
	for _, s := range strings.Split(scopeList, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	held, err := scopes.ParseSet(list)
	if err != nil {
		errs = append(errs, fmt.Errorf("-scopes: %w", err))
	}
	return held, errors.Join(errs...)
}

// parseLatency reads "5ms-40ms", or one duration for a fixed delay.
func parseLatency(s string) (lo, hi time.Duration, err error) {
	first, second, isRange := strings.Cut(s, "-")
	if lo, err = time.ParseDuration(strings.TrimSpace(first)); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = time.ParseDuration(strings.TrimSpace(second)); err != nil {
			return 0, 0, err
		}
	}
	if lo < 0 || hi < lo {
		return 0, 0, errors.New("want MIN-MAX with 0 <= MIN <= MAX")
	}
	return lo, hi, nil
}

// logCalls writes one line per call: what a developer watching the sandbox
// wants to see, the refusals above all.
func logCalls(next http.Handler, w io.Writer) http.Handler {
	var mu sync.Mutex // calls end concurrently; their lines must not interleave
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		began := time.Now()
		sr := &sandboxStatus{ResponseWriter: rw, status: http.StatusOK}
		next.ServeHTTP(sr, r)
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "sandbox: %s %s %d %v\n", r.Method, r.URL.RequestURI(), sr.status, time.Since(began).Round(time.Millisecond))
	})
}

// sandboxStatus remembers the status a handler wrote, for the log line.
type sandboxStatus struct {
	http.ResponseWriter
	status int
}

func (s *sandboxStatus) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
