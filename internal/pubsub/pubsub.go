package pubsub

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Follow calls apply with the payload of every message published on channel, in order,
// until ctx ends or the subscription is closed. The client resubscribes by itself after a
// lost connection.
func Follow(ctx context.Context, c redis.UniversalClient, channel string, apply func(payload string)) {
	sub := c.Subscribe(ctx, channel)
	defer sub.Close()
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			apply(m.Payload)
		}
	}
}
