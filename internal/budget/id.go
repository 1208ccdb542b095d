package budget

import (
	"crypto/rand"
	"encoding/hex"
)

// newID returns 96 random bits, hex encoded: unique across replicas without coordination.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
