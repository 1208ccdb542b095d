// Package proxy is the request path: request id → observe (metrics and the access
// log) → recover → dispatch to an upstream by mount → authenticate the caller key →
// screen (upgrades, method overrides) → body limit → canonicalise and route → check scopes →
// spend points → forward with the org token, and the org token scrubbed from the answer.
// Each step is a small handler in its own file that either answers or passes on; the
// order is written once, in router.go. The machinery the steps call, which knows nothing
// of the pipeline, has packages of its own: scrub (the org token masked in answers), share
// (share keys, reads in flight, the answer recorder), override, faillimit, keystrip,
// ratefields, readdeadline and copybuf.
//
// The one exception to "authenticated and paid for" is a public row of the route table
// (a health probe): it is forwarded with no credentials at all and spends nothing.
//
// It must never forward a request it has not routed, authenticated and paid for, never
// send a caller's credentials upstream, and never put a key, token or raw path in a log
// line, metric label or response. It must never read a body before the caller is
// authenticated, and never hand an upstream's answer to a caller with the org token in it.
package proxy
