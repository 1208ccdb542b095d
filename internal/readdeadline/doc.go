// Package readdeadline bounds the read of a request body: the connection's read deadline
// is set when the body is first read and cleared when it ends, and a read stopped by it
// is told apart (TimedOut) so the proxy can answer 408 rather than blame the upstream.
//
// It must never start the clock before the body is read (a request waiting for
// authentication or points is not slow to send), and never leave a deadline set once the
// body is done: net/http's background read would hit it and cancel a request that is only
// waiting for the upstream.
package readdeadline
