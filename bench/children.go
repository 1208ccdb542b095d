package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/budgetgw/gateway/bench/internal/servers"
)

// The harness runs its helpers as child processes of its own binary, so that the CPU time
// and memory of each (the upstream, the plain proxy) are read apart from the
// load generator's.

// runChild dispatches the child modes; ok is false when args name none.
func runChild(args []string) (ok bool) {
	if len(args) == 0 {
		return false
	}
	var err error
	switch args[0] {
	case "upstream":
		err = servers.RunUpstream(args[1:])
	case "plainproxy":
		err = servers.RunPlainProxy(args[1:])
	default:
		return false
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, strings.Join(args[:1], " ")+":", err)
		os.Exit(1)
	}
	return true
}
