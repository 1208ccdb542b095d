package proxytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/auth"
)

// Key is a caller key minted for a test: the raw key a caller sends and the hash the
// configuration stores.
type Key struct {
	ID     string
	Raw    string // gwk_<id>_<secret>
	SHA256 string
}

// NewKey mints a real caller key, as `gateway keys new` does.
func NewKey(id string) Key {
	k, sum := auth.NewKey(id)
	return Key{ID: id, Raw: k.Reveal(), SHA256: sum}
}

// Secret is the random part of the key: what must never leak even without its prefix.
func (k Key) Secret() string {
	return strings.TrimPrefix(k.Raw, auth.KeyPrefix+k.ID+"_")
}

// SecretFile writes value to a file of its own and returns the path, for token_file:
// unlike token_env it leaves the process environment alone, so tests may run in parallel.
func SecretFile(t testing.TB, value string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		t.Fatalf("write token file: %v", err)
	}
	return path
}
