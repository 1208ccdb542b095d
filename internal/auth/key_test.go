package auth

import (
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/config"
)

func TestAMintedKeyIDIsValidForEveryValidCallerName(t *testing.T) {
	for _, caller := range []string{"a", "billing-sync", "billing_sync.v2", strings.Repeat("x", 63), "a." + strings.Repeat("_", 61)} {
		if !config.ValidName(caller) {
			t.Fatalf("test case %q is not a valid caller name", caller)
		}
		id := NewKeyID(caller)
		if !config.ValidKeyID(id) {
			t.Errorf("NewKeyID(%q) = %q, which config refuses as a key id", caller, id)
		}
		key, _ := NewKey(id)
		if got := splitKey(key.Reveal()); got != id {
			t.Errorf("a key minted for id %q carries id %q", id, got)
		}
	}
}
