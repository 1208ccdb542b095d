// Package ratefields reads and writes the HTTP fields in which rate limits and waits are
// told: the quota an upstream says remains (RateLimit, RateLimit-Remaining,
// X-RateLimit-Remaining), its Retry-After, a client's Prefer: wait (RFC 7240), and the
// gateway's own RateLimit-Policy and RateLimit (IETF httpapi).
//
// It only parses and formats: it must never decide anything (the proxy and the budget
// do), never accept a negative count or an unbounded wait, and never allocate while
// reading an answer that carries no such field (it runs on every answer).
package ratefields
