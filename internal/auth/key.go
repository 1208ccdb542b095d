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

// keyIDPrefix bounds the caller-name part of a minted id, so the id (prefix, '-', six hex
// digits) stays within the 63 characters config.ValidKeyID allows.
const keyIDPrefix = 63 - 1 - 6

// NewKeyID is the one way to mint a key id for caller: its name with '_' and '.' made
// '-' (ids may not hold them), cut to keyIDPrefix characters, then '-' and 24 random bits,
// e.g. billing-sync-3fa9c1. The caller checks it is not in use yet.
func NewKeyID(caller string) string {
	prefix := strings.NewReplacer("_", "-", ".", "-").Replace(caller)
	if len(prefix) > keyIDPrefix {
		prefix = prefix[:keyIDPrefix]
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
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
