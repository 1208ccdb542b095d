// Package budgettest is the contract every budget.Store must keep, as tests that any store
// runs against itself (Run), plus a concurrency property under real time (RunProperty).
// The Redis store runs the same suite against a real redis-server.
package budgettest
