// Package share is the machinery by which identical reads share one upstream call: the
// share key (Key, over the request as a shared read forwards it: Request), the set of
// reads in flight that later identical reads follow (Flights), and the Recorder that
// passes or holds an answer while keeping a copy for the followers and the cache.
// docs/sharing.md says what is shared with whom; internal/proxy's share step decides when.
//
// It must never decide who may read (every follower was authenticated and scope-checked
// before it gets here), never let two reads that could be answered differently meet under
// one key, never keep a copy of a streamed or oversized answer, and never make a follower
// wait past its own context.
package share
