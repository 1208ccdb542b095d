// Package auth knows callers and their keys. Keys are kept only as SHA-256; a presented
// key is found by the id embedded in it (gwk_<id>_<secret>) and compared in constant time.
// It never logs, returns or stores a key itself, and it says why a key failed only as a
// bounded Failure, never which caller owns an unknown or expired key.
package auth
