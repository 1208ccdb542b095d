package keys

import (
	"context"

	"go.uber.org/zap"
)

type claimedActorKey struct{}

// WithClaimedActor records who the admin API's client says it is (its X-Actor header).
// Nothing verifies it: the audit line calls it actor_claimed, beside who, which is what
// was verified (the admin token, and the address it came from).
func WithClaimedActor(ctx context.Context, actor string) context.Context {
	if actor == "" {
		return ctx
	}
	return context.WithValue(ctx, claimedActorKey{}, actor)
}

func claimedActor(ctx context.Context) []zap.Field {
	if a, ok := ctx.Value(claimedActorKey{}).(string); ok {
		return []zap.Field{zap.String("actor_claimed", a)}
	}
	return nil
}

// byline names who did something for a record people read later (an overlay): the claimed
// actor first, marked as claimed, then what was verified.
func byline(ctx context.Context, who string) string {
	if a, ok := ctx.Value(claimedActorKey{}).(string); ok {
		return a + " (claimed; " + who + ")"
	}
	return who
}
