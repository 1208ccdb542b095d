package pubsub_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/pubsub"
	"github.com/budgetgw/gateway/internal/testutil"
)

// Every message published after the subscription is applied, in order; Follow returns
// when ctx ends.
func TestFollowAppliesEveryMessageInOrderUntilCancelled(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 3)
	done := make(chan struct{})
	go func() { defer close(done); pubsub.Follow(ctx, c, "test:chan", func(p string) { got <- p }) }()
	deadline := time.Now().Add(30 * time.Second)
	for { // a message published before the subscription would be missed
		n, err := c.PubSubNumSub(context.Background(), "test:chan").Result()
		if err == nil && n["test:chan"] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no subscription within 30s")
		}
		time.Sleep(time.Millisecond)
	}
	for _, p := range []string{"a", "b\x00c", ""} {
		if err := c.Publish(context.Background(), "test:chan", p).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"a", "b\x00c", ""} {
		select {
		case p := <-got:
			if p != want {
				t.Fatalf("applied %q; want %q", p, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%q was never applied", want)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Follow did not return after its context ended")
	}
}
