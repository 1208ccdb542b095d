package sandbox

import (
	"fmt"
	"testing"
)

func TestKeepArrivalsBoundsTheLog(t *testing.T) {
	s := New(Options{Token: "org-token", KeepArrivals: 5})
	ts := start(t, s)
	for i := range 23 {
		call(t, ts, "GET", fmt.Sprintf("/apps?n=%d", i), bearer, "")
	}
	arr := s.Arrivals()
	if len(arr) < 5 || len(arr) >= 10 || arr[len(arr)-1].RawQuery != "n=22" {
		t.Fatalf("kept %d arrivals ending %q, want 5 to 9 ending with the latest", len(arr), arr[len(arr)-1].RawQuery)
	}
}
