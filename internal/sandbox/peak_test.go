package sandbox

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestPeakPoints(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration, cost int64) Arrival { return Arrival{At: t0.Add(d), Cost: cost} }
	cases := []struct {
		name   string
		log    []Arrival
		window time.Duration
		want   int64
	}{
		{"an empty log spends nothing", nil, time.Minute, 0},
		{"one call is its own peak", []Arrival{at(0, 5)}, time.Minute, 5},
		{
			"two bursts either side of a minute boundary count together although each fixed minute holds one",
			[]Arrival{at(50*time.Second, 200), at(70*time.Second, 200)},
			time.Minute, 400,
		},
		{
			"calls exactly one window apart are never in the same window",
			[]Arrival{at(0, 200), at(time.Minute, 200)},
			time.Minute, 200,
		},
		{
			"calls a nanosecond less than a window apart are",
			[]Arrival{at(0, 200), at(time.Minute-time.Nanosecond, 200)},
			time.Minute, 400,
		},
		{
			"refused calls cost nothing",
			[]Arrival{at(0, 300), at(time.Second, 0), at(2*time.Second, 0)},
			time.Minute, 300,
		},
		{
			"the log need not be in time order",
			[]Arrival{at(50*time.Second, 10), at(0, 10), at(100*time.Second, 10), at(30*time.Second, 10)},
			time.Minute, 30,
		},
		{
			"calls at the same instant all count",
			[]Arrival{at(time.Second, 1), at(time.Second, 1), at(time.Second, 1), at(0, 1)},
			time.Minute, 4,
		},
		{
			"the busiest window is found wherever it starts",
			[]Arrival{at(0, 5), at(50*time.Second, 1), at(100*time.Second, 4), at(105*time.Second, 4)},
			time.Minute, 9,
		},
		{"a zero window holds nothing", []Arrival{at(0, 5)}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PeakPoints(c.log, c.window); got != c.want {
				t.Fatalf("PeakPoints = %d, want %d", got, c.want)
			}
		})
	}
}

// TestMaxWindowPointsSlides builds the boundary-straddling log through real calls.
func TestMaxWindowPointsSlides(t *testing.T) {
	clock := newFakeClock()
	s := New(Options{Token: "org-token", Cost: func(string, string) (int64, bool) { return 5, true }, Now: clock.Now})
	ts := start(t, s)
	clock.Advance(50 * time.Second)
	for range 4 {
		call(t, ts, "GET", "/apps", bearer, "")
	}
	clock.Advance(20 * time.Second)
	for range 4 {
		call(t, ts, "GET", "/apps", bearer, "")
	}
	call(t, ts, "GET", "/apps", "", "") // refused: must not count
	if got := s.MaxWindowPoints(time.Minute); got != 40 {
		t.Fatalf("MaxWindowPoints(1m) = %d, want 40", got)
	}
	if got := s.MaxWindowPoints(20 * time.Second); got != 20 {
		t.Fatalf("MaxWindowPoints(20s) = %d, want 20", got)
	}
}

// TestPeakPointsMatchesBruteForce checks the sweep against summing every window that
// starts at an arrival or ends just after one, on seeded random logs.
func TestPeakPointsMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	t0 := time.Unix(0, 0)
	for round := range 200 {
		n := rng.IntN(30)
		log := make([]Arrival, n)
		for i := range log {
			log[i] = Arrival{At: t0.Add(time.Duration(rng.IntN(300)) * time.Second), Cost: int64(rng.IntN(4))}
		}
		window := time.Duration(1+rng.IntN(90)) * time.Second
		var want int64
		for _, a := range log {
			for _, start := range []time.Time{a.At, a.At.Add(-window + time.Nanosecond)} {
				var sum int64
				for _, b := range log {
					if !b.At.Before(start) && b.At.Before(start.Add(window)) {
						sum += b.Cost
					}
				}
				want = max(want, sum)
			}
		}
		if got := PeakPoints(log, window); got != want {
			t.Fatalf("round %d: PeakPoints = %d, brute force %d", round, got, want)
		}
	}
}
