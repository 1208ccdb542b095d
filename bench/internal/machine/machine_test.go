package machine

import "testing"

func TestParseTicksSumsTheEightTimesAndKeepsSteal(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice: guest time is
	// already inside user, so it must not count twice.
	got := parseTicks("cpu  100 0 50 800 10 0 10 30 40 0")
	if !got.ok || got.Total != 1000 || got.Steal != 30 {
		t.Fatalf("parseTicks = %+v, want total 1000, steal 30", got)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8", "cpu 1 2 3 4 5 6 7", "cpu 1 2 3 x 5 6 7 8"} {
		if parseTicks(bad).ok {
			t.Errorf("parseTicks(%q) is known; want unknown", bad)
		}
	}
}

func TestStealShareOfASpan(t *testing.T) {
	a := parseTicks("cpu 100 0 50 800 10 0 10 30 0 0")
	b := parseTicks("cpu 150 0 75 845 10 0 15 55 0 0") // 150 more ticks, 25 of them stolen
	if got := StealShare(a, b); got < 0.1666 || got > 0.1667 {
		t.Errorf("StealShare = %v, want 25/150", got)
	}
	if got := b.Sub(a).Add(b.Sub(a)).Share(); got < 0.1666 || got > 0.1667 {
		t.Errorf("two equal spans added: %v, want the same share", got)
	}
	if got := StealShare(b, a); got != -1 {
		t.Errorf("counters going back: %v, want -1 (unknown)", got)
	}
	if got := StealShare(Ticks{}, b); got != -1 {
		t.Errorf("an unknown start: %v, want -1", got)
	}
	if Percent(-1) != "?" || Percent(0.0244) != "2.4%" {
		t.Errorf("Percent: %q, %q", Percent(-1), Percent(0.0244))
	}
}
