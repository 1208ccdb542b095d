package proxy

import (
	"net/http"

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

// observe writes one access-log line and the request metrics after every request.
func (g *Gateway) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		x := exchangeOf(r)
		status := sw.status
		if status == 0 {
			status = 499 // the client left before any answer (nginx's convention; logged only)
		}
		elapsed := g.now().Sub(x.start)
		g.metrics.Requests.WithLabelValues(x.upstreamName(), x.family(), x.callerName(), metrics.Class(status)).Inc()
		if x.outcome == "" {
			x.outcome = "answered"
		}
		fields := []zap.Field{
			zap.String("request_id", x.id),
			zap.String("upstream", x.upstreamName()),
			zap.String("caller", x.callerName()),
			zap.String("method", r.Method),
			zap.Int("status", status),
			zap.String("outcome", x.outcome),
			zap.Duration("duration", elapsed),
			zap.Int64("bytes", sw.bytes),
		}
		if x.keyID != "" {
			fields = append(fields, zap.String("key_id", x.keyID))
		}
		if x.route != nil {
			fields = append(fields, zap.String("route", x.route.ID), zap.Int64("cost", x.route.Cost))
		}
		if d := x.decision; d.Cost > 0 {
			fields = append(fields, zap.Bool("admitted", d.Allowed), zap.Duration("wait", d.Waited), zap.Int64("budget_used", d.Used))
			if d.Reason != "" {
				fields = append(fields, zap.String("reason", string(d.Reason)))
			}
		}
		if x.upStatus != 0 {
			fields = append(fields, zap.Int("upstream_status", x.upStatus), zap.Duration("upstream_duration", x.upElapsed))
		}
		g.log.Info("request", fields...)
	})
}
