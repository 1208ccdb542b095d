// Package copybuf is the buffer pool the proxy's httputil.ReverseProxies copy answers
// through, so the hot path does not allocate a 32 KiB buffer per answer.
//
// It must never allocate on Get or Put once warm (that is its whole purpose), and never
// hand out a buffer shorter than Size, which ReverseProxy's copy would then silently
// shrink to.
package copybuf
