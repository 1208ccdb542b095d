// Package scrub masks an organisation's token wherever an upstream hands it back: in an
// answer's header names and values, its body as it streams (a gzip body decoded first, any
// other encoding refused), its trailers, and a document fetched with the token. The mask is
// as long as the token, so lengths stay right, and a streamed body is held back no more
// than the few bytes that could begin a token.
//
// It must never let a token it was given through unmasked, never read a body ahead of its
// reader (a stream still reaches the caller as it arrives), and never log, count or return
// the token: what to tell about a find is its caller's to decide, told only the part.
package scrub
