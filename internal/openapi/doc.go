// Package openapi serves the upstream's OpenAPI document through the gateway, cut down
// to what the calling key may do, so that Retool's OpenAPI resource and code generators
// can point at the gateway with a caller key instead of at Retool with the org token.
//
// It owns the fetched document (refreshed at most once per interval, kept while the
// upstream is unreachable), the fallback document built from the route table when no
// fetch ever succeeded, the per-caller filtering, and the check of the route table
// against what the upstream publishes (gateway_routes_unknown_operations). A Set holds
// one Spec per upstream across configuration reloads and runs their refresh loops.
//
// It decides visibility with the same route table and scope rules as the request path:
// an operation is listed only if the table routes it and both the caller's scopes and
// the org token's scopes allow its route. It must never list an operation the gateway
// would refuse, never fetch except through the Fetch it is given (which owns the token
// and the budget), and never put the upstream's address in what it serves.
package openapi
