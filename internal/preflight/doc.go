// Package preflight checks, before a gateway is put in service, that everything it depends
// on answers: each upstream's name resolves, its port accepts a connection, its certificate
// verifies, and its org token is accepted (one cheap call, whose point cost is stated before
// it is made); and the shared Redis answers PING within redis.timeout.
//
// It reports values (Result) and leaves the wording of a terminal session to the command.
// It must never print, log or return a token, a password or a URL's credentials, and it
// makes at most one paid call per upstream.
package preflight
