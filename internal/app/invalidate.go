package app

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/budgetgw/gateway/internal/pubsub"
)

// invalidations carries cache invalidations between replicas: a write on one replica
// makes every replica forget the cached reads it may change.
type invalidations struct {
	client  redis.UniversalClient
	channel string
}

func (i *invalidations) publish(upstream, path string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = i.client.Publish(ctx, i.channel, upstream+"\x00"+path).Err() // best effort: entries also expire by TTL
}

// follow applies other replicas' invalidations until ctx ends.
func (i *invalidations) follow(ctx context.Context, apply func(upstream, path string)) {
	pubsub.Follow(ctx, i.client, i.channel, func(payload string) {
		if upstream, path, found := strings.Cut(payload, "\x00"); found {
			apply(upstream, path)
		}
	})
}
