// Package sandbox is a simulated Retool-like upstream: an http.Handler that checks the
// key, the route and its scope, charges a points budget over a sliding window exactly as
// the real API's published rules say, answers with well-formed JSON, and records every
// call that reached it.
//
// It owns the one strict reading of the upstream's budget that the gateway's tests,
// `gateway demo` and `gateway sandbox` measure against: charged points in any window of
// Window never exceed Capacity, and crossing the limit locks every caller out.
//
// What an admitted call is answered with is Options.API's choice. Generic (the default)
// makes up one shape for any path, without state, for the gateway's own tests. RetoolV2
// serves every operation of Retool's API v2 document with the statuses it lists and
// bodies valid against its schemas, over a seeded organisation that creates, updates
// and deletes change: the stand-in teams develop against. Its knowledge of the document
// is retool-v2.json, our compact derivation (internal/gen), never the document itself.
//
// It is a test and demo double. It must never forward a request anywhere, never dial the
// network, and never hold a real credential: whatever it answers, it makes up itself.
package sandbox
