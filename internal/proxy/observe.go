package proxy

import (
	"net/http"
	"sync"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/metrics"
)

// statusWriter remembers the status and size of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines underneath.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe writes one access-log line and the request metrics after every request,
// including one whose answer is aborted mid-way (http.ErrAbortHandler unwinding past):
// the line is written while the panic passes, which then goes on to net/http.
func (g *Gateway) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		if g.tracer != nil {
			r = g.startServerSpan(r, exchangeOf(r))
		}
		completed := false
		defer func() {
			if !completed && sw.status != 0 {
				// An answer aborted after its status (the upstream hung up mid-body): send
				// what is buffered before the connection closes, so the caller sees a
				// visibly cut answer, not an empty reply its client may retry (and pay
				// for again). Answers are not flushed per write, so this is the only
				// flush an aborted answer gets.
				_ = http.NewResponseController(w).Flush()
			}
			g.logAccess(sw, r, completed)
		}()
		next.ServeHTTP(sw, r)
		completed = true
	})
}

// logAccess writes the access line and the request metrics for one finished request.
func (g *Gateway) logAccess(sw *statusWriter, r *http.Request, completed bool) {
	x := exchangeOf(r)
	if !completed {
		x.outcome = "aborted"
	}
	status := sw.status
	if status == 0 {
		status = 499 // the client left before any answer (nginx's convention; logged only)
	}
	elapsed := g.now().Sub(x.start)
	g.series(x).Requests(metrics.Class(status)).Inc()
	if x.outcome == "" && !x.quiet {
		x.outcome = "answered"
	}
	if x.trace != nil {
		g.endServerSpan(x, status)
	}
	if x.quiet {
		return
	}
	// Every line has the same keys, routed or not, so a query on route or cost
	// never silently skips the refusals.
	route, cost := "none", int64(0)
	if x.route != nil {
		route, cost = x.route.ID, x.route.Cost
	}
	fp := accessFields.Get().(*[]zap.Field)
	defer func() { clear(*fp); *fp = (*fp)[:0]; accessFields.Put(fp) }()
	fields := append(*fp,
		zap.String("request_id", x.id),
		zap.String("upstream", x.upstreamName()),
		zap.String("caller", x.callerName()),
		zap.String("method", r.Method),
		zap.String("route", route),
		zap.Int64("cost", cost),
		zap.Int("status", status),
		zap.String("outcome", x.outcome),
		zap.Duration("duration", elapsed),
		zap.Int64("bytes", sw.bytes),
	)
	if x.keyID != "" {
		fields = append(fields, zap.String("key_id", x.keyID))
	}
	if id := x.trace.TraceID(); id != "" {
		fields = append(fields, zap.String("trace_id", id))
	}
	if d := x.decision; d.Cost > 0 {
		fields = append(fields, zap.Bool("admitted", d.Allowed), zap.Duration("wait", d.Waited), zap.Duration("max_wait", x.maxWait), zap.Int64("budget_used", d.Used))
		if d.Reason != "" {
			fields = append(fields, zap.String("reason", string(d.Reason)))
		}
	}
	if x.upStatus != 0 {
		fields = append(fields, zap.Int("upstream_status", x.upStatus), zap.Duration("upstream_duration", x.upElapsed))
	}
	g.log.Info("request", fields...)
	*fp = fields // keep what append grew
}

// accessFields holds the access line's field slices: one per request would be the
// largest allocation the gateway itself makes on the hot path. The encoder is done with
// the fields when Info returns.
var accessFields = sync.Pool{New: func() any { f := make([]zap.Field, 0, 20); return &f }}
