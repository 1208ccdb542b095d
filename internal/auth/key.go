package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/budgetgw/gateway/internal/secret"
)

// KeyPrefix marks gateway caller keys, so a leaked one is recognisable in a scanner.
const KeyPrefix = "gwk_"

// NewKey mints a caller key for id: 192 random bits. It returns the key (to show once) and
// the hex SHA-256 to store.
func NewKey(id string) (key secret.Value, sha256Hex string) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	k := secret.New(KeyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(b[:]))
	sum := k.SHA256()
	return k, hex.EncodeToString(sum[:])
}

// splitKey returns the id embedded in a gateway key, or "" for any other string.
func splitKey(raw string) string {
	rest, ok := strings.CutPrefix(raw, KeyPrefix)
	if !ok {
		return ""
	}
	id, secretPart, ok := strings.Cut(rest, "_")
	if !ok || id == "" || secretPart == "" {
		return ""
	}
	return id
}

func hashOf(raw string) [32]byte { return sha256.Sum256([]byte(raw)) }
