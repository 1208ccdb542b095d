package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/budgetgw/gateway/internal/metrics"
)

// A Call's children are the vectors' own: counting through a Call, however often and
// with whatever status, shows in the same series a label lookup would have found.
func TestACallCountsIntoTheSameSeriesAsTheVectors(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry())
	c := m.Call("retool", "users", "reader")
	for range 3 {
		c.Requests(metrics.Class(200)).Inc()
		c.Wait("admitted").Observe(0.01)
		c.PointsAdmitted().Add(2)
		c.UpstreamDuration(metrics.Class(201)).Observe(0.02)
	}
	c.Requests(metrics.Class(429)).Inc()
	c.Requests(metrics.Class(42)).Inc() // not a status: "other"
	c.Wait("refused").Observe(1)
	c.UpstreamDuration("timeout").Observe(5) // not a class: resolved each time, still counted

	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"2xx requests", testutil.ToFloat64(m.Requests.WithLabelValues("retool", "users", "reader", "2xx")), 3},
		{"4xx requests", testutil.ToFloat64(m.Requests.WithLabelValues("retool", "users", "reader", "4xx")), 1},
		{"other requests", testutil.ToFloat64(m.Requests.WithLabelValues("retool", "users", "reader", "other")), 1},
		{"points admitted", testutil.ToFloat64(m.PointsAdmitted.WithLabelValues("retool", "reader")), 6},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if n := testutil.CollectAndCount(m.Wait); n != 2 {
		t.Errorf("%d wait series, want admitted and refused", n)
	}
	if n := testutil.CollectAndCount(m.UpstreamDuration); n != 2 {
		t.Errorf("%d upstream duration series, want 2xx and timeout", n)
	}
	// A class never seen is not exported as a zero series.
	if n := testutil.CollectAndCount(m.Requests); n != 3 {
		t.Errorf("%d request series, want 3", n)
	}
}

func TestClassNamesEveryStatusWithABoundedValue(t *testing.T) {
	for code, want := range map[int]string{100: "1xx", 200: "2xx", 299: "2xx", 304: "3xx", 404: "4xx", 599: "5xx", 99: "other", 600: "other", 0: "other"} {
		if got := metrics.Class(code); got != want {
			t.Errorf("Class(%d) = %q, want %q", code, got, want)
		}
	}
}
