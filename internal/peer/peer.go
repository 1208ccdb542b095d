// Package peer names the machine a request came from, one way for every listener: the
// TCP peer's host without its port, IPv6 without brackets ("::1", "10.0.0.7"), so the
// failure limits of the proxy and the audit lines of the admin API agree on who called.
//
// It must never read X-Forwarded-For or any other header a client controls: a limit keyed
// by a claimed address is one an attacker resets at will (STYLE.md, client IPs).
package peer

import "net"

// Host is the host part of a request's RemoteAddr ("host:port", "[v6]:port"). An address
// without a port (a test, a unix socket) is returned as it is.
func Host(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}
