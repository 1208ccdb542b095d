package proxy

import (
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/budgetgw/gateway/internal/logline"
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
		sw := &exchangeOf(r).sw // requestID made the exchange
		sw.ResponseWriter = w
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
	if lw, ok := g.log.Core().(logline.Writer); ok {
		if !lw.Enabled(zapcore.InfoLevel) {
			return
		}
		// The production logger takes the line already encoded: the same bytes as
		// zap's fields below, at a little over half the CPU (package logline).
		l := logline.Start(zapcore.InfoLevel, time.Now(), "request")
		accessLine(l, x, r, status, elapsed, sw.bytes)
		if err := lw.WriteLine(l.End()); err != nil {
			g.log.Error("access line not written", zap.Error(err))
		}
		l.Release()
		return
	}
	fp := accessFields.Get().(*[]zap.Field)
	zf := zapFields{fp}
	accessLine(zf, x, r, status, elapsed, sw.bytes)
	g.log.Info("request", *fp...)
	clear(*fp)
	*fp = (*fp)[:0]
	accessFields.Put(fp)
}

// accessLine lists the access line's fields, in order, to either encoder. Every line has
// the same keys, routed or not, so a query on route or cost never silently skips the
// refusals.
func accessLine(f accessEncoder, x *exchange, r *http.Request, status int, elapsed time.Duration, bytes int64) {
	route, cost := "none", int64(0)
	if x.route != nil {
		route, cost = x.route.ID, x.route.Cost
	}
	f.String("request_id", x.id)
	f.String("upstream", x.upstreamName())
	f.String("caller", x.callerName())
	f.String("method", r.Method)
	f.String("route", route)
	f.Int("cost", cost)
	f.Int("status", int64(status))
	f.String("outcome", x.outcome)
	f.Duration("duration", elapsed)
	f.Int("bytes", bytes)
	if x.keyID != "" {
		f.String("key_id", x.keyID)
	}
	if id := x.trace.TraceID(); id != "" {
		f.String("trace_id", id)
	}
	if d := x.decision; d.Cost > 0 {
		f.Bool("admitted", d.Allowed)
		f.Duration("wait", d.Waited)
		f.Duration("max_wait", x.maxWait)
		f.Int("budget_used", d.Used)
		if d.Reason != "" {
			f.String("reason", string(d.Reason))
		}
	}
	if x.upStatus != 0 {
		f.Int("upstream_status", int64(x.upStatus))
		f.Duration("upstream_duration", x.upElapsed)
	}
}

// accessEncoder takes the access line's fields: as zap fields, or straight into a line
// (*logline.Line).
type accessEncoder interface {
	String(k, v string)
	Int(k string, v int64)
	Bool(k string, v bool)
	Duration(k string, v time.Duration)
}

type zapFields struct{ f *[]zap.Field }

func (z zapFields) String(k, v string)                 { *z.f = append(*z.f, zap.String(k, v)) }
func (z zapFields) Int(k string, v int64)              { *z.f = append(*z.f, zap.Int64(k, v)) }
func (z zapFields) Bool(k string, v bool)              { *z.f = append(*z.f, zap.Bool(k, v)) }
func (z zapFields) Duration(k string, v time.Duration) { *z.f = append(*z.f, zap.Duration(k, v)) }

// accessFields holds the access line's field slices when it goes through zap's fields:
// one per request would be the largest allocation the gateway itself makes on the hot
// path. The encoder is done with the fields when Info returns.
var accessFields = sync.Pool{New: func() any { f := make([]zap.Field, 0, 20); return &f }}
