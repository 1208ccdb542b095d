// Package e2e holds tests that run whole gateways (several replicas, a real Redis, the
// simulated upstream) and judge them only by what the upstream recorded.
package e2e
