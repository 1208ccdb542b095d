// Package faillimit counts failures per source address and per failed key in fixed
// one-minute windows, and says when a key from an address is to be refused and when an
// address's failures are to go unlogged. The proxy counts failed authentications with
// it, and unauthenticated probes that reach the upstream (with no key: per address).
// Its memory is bounded: past a cap the window restarts early.
//
// It must never see a success (so it can never refuse a valid key), never keep a raw key
// (callers pass auth.FailureKey's id or digest), never read the clock itself (now is
// passed in), and never take an address from a header a client can forge.
package faillimit
