package app

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestRedisClientLinesAreStructuredRateLimitedAndRedacted(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	now := time.Unix(1_800_000_000, 0)
	l := newRedisLogger(zap.New(core), time.Second, func() time.Time { return now })
	for range 21 {
		l.Printf(context.Background(), "redis: dial %s: %s", "redis://user:hunter2@10.0.0.1:6379", "connection refused")
	}
	now = now.Add(time.Second)
	l.Printf(context.Background(), "redis: dial again")
	entries := logs.All()
	if len(entries) != 2 {
		t.Fatalf("%d lines for 22 messages over one second; want 2", len(entries))
	}
	first := entries[0].ContextMap()
	if d, _ := first["detail"].(string); d != "redis: dial redis://[redacted]@10.0.0.1:6379: connection refused" {
		t.Fatalf("detail %q: want the message with its credentials redacted", d)
	}
	if n := entries[1].ContextMap()["dropped_since_last"]; n != int64(20) {
		t.Fatalf("dropped_since_last %v; want 20", n)
	}
}
