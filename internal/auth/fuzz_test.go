package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// issuedKey is a key the fuzz keyring knows, with what authenticating it must say.
type issuedKey struct {
	id   string
	want Failure
}

// fuzzKeyring issues fixed keys (a fuzz target must be deterministic): one valid, one
// disabled, one expired, two whose ids share a prefix, and one made elsewhere (no gwk_
// form), which is found by its hash alone.
func fuzzKeyring(tb testing.TB, now time.Time) (*Keyring, map[string]issuedKey) {
	tb.Helper()
	issued := map[string]issuedKey{
		"gwk_svc-1_7Qx2cV9pLmA0bR4tYz8wKd1nHs6uJf3e":  {"svc-1", OK},
		"gwk_svc-10_Zp4Lr8Tq1Wm6Xc0Vb3Nk7Hy2Gd5Fs9Ja": {"svc-10", OK},
		"gwk_off-1_Mn3Bv6Cx9Zl2Kj5Hg8Fd1Sa4Qw7Er0Ty":  {"off-1", Disabled},
		"gwk_old-1_Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3Wa2Qz1Xc":  {"old-1", Expired},
		"legacy-token-4f1c9a7e2b":                     {"legacy-1", OK},
	}
	var keys []KeySpec
	for raw, k := range issued {
		sum := sha256.Sum256([]byte(raw))
		ck := KeySpec{ID: k.id, SHA256: hex.EncodeToString(sum[:])}
		switch k.want {
		case Disabled:
			ck.Disabled = true
		case Expired:
			ck.Expires = now.Add(-time.Hour)
		}
		keys = append(keys, ck)
	}
	kr, err := NewKeyring([]CallerSpec{{Name: "svc", Scopes: []string{"users:read"}, Priority: "normal", Keys: keys}})
	if err != nil {
		tb.Fatal(err)
	}
	return kr, issued
}

// FuzzAuthenticate presents arbitrary strings as keys. Authenticate must never panic, must
// find a key only for the exact string that was issued (a prefix, a suffix, another
// key's id with this secret, a case change: all unknown), and must find every issued key.
func FuzzAuthenticate(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	kr, issued := fuzzKeyring(f, now)
	for raw := range issued {
		f.Add(raw)
		f.Add(raw + "x")
		f.Add(raw[:len(raw)-1])
		f.Add(strings.ToUpper(raw))
		f.Add(" " + raw)
	}
	for _, s := range []string{"", "gwk_", "gwk__", "gwk_svc-1_", "gwk_svc-1", "gwk__7Qx2cV9pLmA0bR4tYz8wKd1nHs6uJf3e",
		"gwk_svc-10_7Qx2cV9pLmA0bR4tYz8wKd1nHs6uJf3e", "gwk_svc-1_7Qx2cV9pLmA0bR4tYz8wKd1nHs6uJf3e_", "Bearer gwk_svc-1_x", "\x00", "gwk_\xff_\xfe"} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, raw string) {
		key, failure := kr.Authenticate(raw, now)
		want, isIssued := issued[raw]
		switch {
		case raw == "":
			if key != nil || failure != Missing {
				t.Fatalf("no key: got key %v, failure %q; want missing", key, failure)
			}
		case isIssued:
			if key == nil || key.ID != want.id || failure != want.want {
				t.Fatalf("issued key %s: got key %v, failure %q; want %s, %q", want.id, key, failure, want.id, want.want)
			}
		case key != nil || failure != Unknown:
			t.Fatalf("%q was never issued, yet Authenticate found key %v with failure %q", raw, key, failure)
		}
	})
}

// FuzzFailureKey presents arbitrary strings as failed keys. What the auth-failure throttle
// keeps must be bounded and plain, must not depend on a gateway key's secret part (two keys
// differing only there are one bad key, and the secret is never kept), and must tell
// apart keys with different ids.
func FuzzFailureKey(f *testing.F) {
	for _, s := range []string{"", "gwk_", "gwk_svc-1_secret", "gwk_svc-1_", "gwk__x", "gwk_a_b_c", "legacy-token",
		"gwk_" + strings.Repeat("i", 80) + "_s", "gwk_sp ace_x", "gwk_\xff_x", "Bearer gwk_svc-1_x"} {
		f.Add(s, "other-secret")
	}
	f.Fuzz(func(t *testing.T, raw, otherSecret string) {
		fk := FailureKey(raw)
		if len(fk) > 4+maxFailureID || fk == "" {
			t.Fatalf("FailureKey(%q) = %q: empty or longer than %d", raw, fk, 4+maxFailureID)
		}
		for i := 0; i < len(fk); i++ {
			if c := fk[i]; c < 0x21 || c > 0x7e {
				t.Fatalf("FailureKey(%q) = %q holds byte %#x", raw, fk, c)
			}
		}
		if FailureKey(raw) != fk {
			t.Fatalf("FailureKey(%q) is not deterministic", raw)
		}
		if id := splitKey(raw); id != "" && otherSecret != "" && !strings.Contains(otherSecret, "_") {
			if other := FailureKey(KeyPrefix + id + "_" + otherSecret); strings.HasPrefix(fk, "id:") && other != fk {
				t.Fatalf("%q and the same id with another secret count apart: %q vs %q", raw, fk, other)
			}
		}
		if raw == "" && fk != "missing" {
			t.Fatalf("no key: %q; want missing", fk)
		}
	})
}
