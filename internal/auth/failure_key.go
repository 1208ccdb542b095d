package auth

import (
	"encoding/hex"
)

// maxFailureID is the longest key id FailureKey passes through; a longer one is digested.
const maxFailureID = 64

// FailureKey names a presented key that failed, for counting failures by key (the
// auth-failure throttle) without keeping the key: "id:<id>" for a gateway key whose id is
// plain, "sha:<16 hex digits of its SHA-256>" for any other string, "missing" for none.
// It never contains a key's secret part, and is at most 68 bytes long.
func FailureKey(raw string) string {
	if raw == "" {
		return "missing"
	}
	if id := splitKey(raw); id != "" && len(id) <= maxFailureID && plainID(id) {
		return "id:" + id
	}
	h := hashOf(raw)
	return "sha:" + hex.EncodeToString(h[:8])
}

func plainID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
