package peer_test

import (
	"testing"

	"github.com/budgetgw/gateway/internal/peer"
)

func TestHostNamesThePeerTheSameWayForIPv4AndIPv6(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"10.0.0.7:51234", "10.0.0.7"},
		{"[::1]:8080", "::1"},
		{"[fe80::1%eth0]:80", "fe80::1%eth0"},
		{"::1", "::1"},   // no port: as it is
		{"pipe", "pipe"}, // not an address at all
		{"", ""},
	} {
		if got := peer.Host(c.in); got != c.want {
			t.Errorf("Host(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
