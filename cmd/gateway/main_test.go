package main

import (
	"testing"

	"go.uber.org/goleak"
)

// Every server, listener, waiter and idle connection a test starts must be gone when the
// package's tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
