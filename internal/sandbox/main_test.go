package sandbox

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind, such as a handler
// still sleeping after its caller left.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
