// Package sandbox is a simulated Retool-like upstream: an http.Handler that checks the
// key, the route and its scope, charges a points budget over a sliding window exactly as
// the real API's published rules say, answers with well-formed JSON, and records every
// call that reached it.
//
// It owns the one strict reading of the upstream's budget that the gateway's tests,
// `gateway demo` and `gateway sandbox` measure against: charged points in any window of
// Window never exceed Capacity, and crossing the limit locks every caller out.
//
// This package is the core: the server (server.go), key checks, the budget ledger
// (budget.go), arrivals, options, and the probes outside the API (probes.go: the health
// probe, the served document). What an admitted call is answered with is Options.API's
// choice. Generic (the default, replies.go) makes up one shape for any path, without
// state, for the gateway's own tests. RetoolV2 hands the call to package retoolv2, the
// emulation of Retool's API v2 that teams develop against.
//
// It is a test and demo double. It must never forward a request anywhere, never dial the
// network, and never hold a real credential: whatever it answers, it makes up itself.
package sandbox
