package app

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// redisLogEvery bounds go-redis's own lines: during an outage every dial attempt of every
// pooled connection fails, and each would be a line.
const redisLogEvery = 5 * time.Second

// SetRedisLogger sends go-redis's own log lines (dial failures, pool and Sentinel events)
// through log as JSON, at most one per redisLogEvery, each saying how many were dropped
// since the last. go-redis's logger is global to the process: call this once, from main.
func SetRedisLogger(log *zap.Logger) {
	redis.SetLogger(newRedisLogger(log, redisLogEvery, time.Now))
}

type redisLogger struct {
	log     *zap.Logger
	every   time.Duration
	now     func() time.Time
	mu      sync.Mutex
	last    time.Time
	dropped int
}

func newRedisLogger(log *zap.Logger, every time.Duration, now func() time.Time) *redisLogger {
	return &redisLogger{log: log.Named("redis"), every: every, now: now}
}

// userinfo matches the credentials part of a URL, should a message ever carry one.
var userinfo = regexp.MustCompile(`://[^@/\s]*@`)

// Printf implements go-redis's internal.Logging.
func (l *redisLogger) Printf(_ context.Context, format string, v ...any) {
	now := l.now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.last, l.dropped = now, 0
	l.mu.Unlock()
	msg := userinfo.ReplaceAllString(fmt.Sprintf(format, v...), "://[redacted]@")
	l.log.Warn("redis client", zap.String("detail", msg), zap.Int("dropped_since_last", dropped))
}
