package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"capacity", "window", "lockout", "max_wait", "reserve", "name"}
	for _, tc := range []struct{ word, want string }{
		{"capcity", "capacity"},
		{"windwo", "window"},
		{"lockuot", "lockout"},
		{"zzzzzzzz", ""},
		{"x", ""},
	} {
		if got := Closest(tc.word, names); got != tc.want {
			t.Errorf("Closest(%q) = %q; want %q", tc.word, got, tc.want)
		}
	}
	if got := DidYouMean("user:read", []string{"groups:read", "users:read"}); got != "; did you mean users:read?" {
		t.Errorf("DidYouMean = %q", got)
	}
}
