// Package pubsub is how replicas hear each other over Redis pub/sub: cache invalidations
// (app), key changes (keys) and upstream lockouts (budget). It owns the subscription loop
// and nothing of what the messages mean: each user parses its own payload.
//
// It must never be the only way a replica learns something. Delivery is best effort: a
// message published while a replica is reconnecting is lost, so every user has a slower
// path that catches up (cache TTLs, the keys' version poll, the budget's sync).
package pubsub
