// Package keystrip removes caller keys from a request bound upstream: the headers and
// query parameters clients commonly send an API key in, the key headers of every
// upstream, and any header or query pair whose value holds the very key the caller
// authenticated with. What it keeps of the query is kept byte for byte.
//
// It must never let a caller key through by a side door, never rewrite what it keeps
// (the upstream must read exactly what was routed and scope-checked), and never log or
// return the key it is given.
package keystrip
