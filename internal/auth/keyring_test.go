package auth

import (
	"testing"
	"time"
)

func TestAuthenticate(t *testing.T) {
	good, goodHash := NewKey("good-1")
	off, offHash := NewKey("off-1")
	old, oldHash := NewKey("old-1")
	now := time.Unix(1_800_000_000, 0)
	kr, err := NewKeyring([]CallerSpec{{
		Name: "svc", Scopes: []string{"users:read"}, Priority: "normal",
		Keys: []KeySpec{
			{ID: "good-1", SHA256: goodHash},
			{ID: "off-1", SHA256: offHash, Disabled: true},
			{ID: "old-1", SHA256: oldHash, Expires: now},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		raw  string
		want Failure
	}{
		{"a valid key authenticates", good.Reveal(), OK},
		{"no key is missing", "", Missing},
		{"a disabled key is disabled", off.Reveal(), Disabled},
		{"a key past its expiry is expired", old.Reveal(), Expired},
		{"a known id with a wrong secret is unknown", "gwk_good-1_wrongsecret", Unknown},
		{"a string that is no gateway key is unknown", "Bearer-ish garbage", Unknown},
		{"an id alone is unknown", "gwk_good-1", Unknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key, got := kr.Authenticate(c.raw, now)
			if got != c.want {
				t.Fatalf("failure %q; want %q", got, c.want)
			}
			if got == OK && key.Caller.Name != "svc" {
				t.Fatalf("caller %q; want svc", key.Caller.Name)
			}
		})
	}
}

func TestNewKeyIsLongAndRecognisable(t *testing.T) {
	k, h := NewKey("x")
	if splitKey(k.Reveal()) != "x" || len(k.Reveal()) < len("gwk_x_")+32 || len(h) != 64 {
		t.Fatalf("malformed key (len %d) or hash %q", len(k.Reveal()), h)
	}
}
