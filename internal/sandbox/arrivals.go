package sandbox

import (
	"bytes"
	"net/http"
	"sort"
	"time"
)

// StatusClientClosed is recorded for a call whose caller went away while the simulated
// latency ran; nothing was written back. (499 is nginx's name for the same event.)
const StatusClientClosed = 499

// Arrival is what the upstream recorded for one call that reached it, refused or not.
type Arrival struct {
	At                     time.Time // the server's clock when the call arrived
	Method, Path, RawQuery string
	// Cost is the points charged to the budget: the route's cost for charged calls
	// (including those that then failed with 500 or lost their caller), 0 for calls
	// refused before being charged (401, 423, 404, 403, 429).
	Cost   int64
	Status int
	Header http.Header // a clone of the request headers as received
	Body   []byte
}

// record appends one arrival. Callers must not hold s.mu.
func (s *Server) record(a Arrival) {
	s.mu.Lock()
	s.arrivals = append(s.arrivals, a)
	// Trimmed only once twice the bound is reached, so the copy costs O(1)
	// per call on average.
	if keep := s.opts.KeepArrivals; keep > 0 && len(s.arrivals) >= 2*keep {
		s.arrivals = append([]Arrival(nil), s.arrivals[len(s.arrivals)-keep:]...)
	}
	s.mu.Unlock()
}

// Arrivals returns a deep copy of the log (the most recent KeepArrivals or more,
// when that is set), in the order the answers were decided: a test
// may change what it gets without changing what the next caller sees.
func (s *Server) Arrivals() []Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Arrival, len(s.arrivals))
	for i, a := range s.arrivals {
		a.Header = a.Header.Clone()
		a.Body = bytes.Clone(a.Body)
		out[i] = a
	}
	return out
}

// RateLimited is the number of 429 answers given, over budget or during a lockout.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

// MaxWindowPoints is the most points charged within any span [t, t+window) of the log.
func (s *Server) MaxWindowPoints(window time.Duration) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return PeakPoints(s.arrivals, window)
}

// PeakPoints is the maximum over all t of the Cost of arrivals in [t, t+window). It slides
// the window over every instant rather than over fixed slots: two bursts either side of
// a slot boundary count together, as they would against an upstream that slides.
//
// The maximum is always reached by a window that starts at some arrival (any other can be
// moved right until it does without losing a point), so one sweep over the sorted log
// that opens a window at each arrival is exact.
func PeakPoints(arrivals []Arrival, window time.Duration) int64 {
	if window <= 0 {
		return 0
	}
	var charged []charge
	for _, a := range arrivals {
		if a.Cost > 0 {
			charged = append(charged, charge{a.At, a.Cost})
		}
	}
	sort.Slice(charged, func(i, j int) bool { return charged[i].at.Before(charged[j].at) })
	var sum, peak int64
	end := 0 // charged[i:end] are inside [charged[i].at, charged[i].at+window)
	for i, start := range charged {
		for end < len(charged) && charged[end].at.Before(start.at.Add(window)) {
			sum += charged[end].cost
			end++
		}
		peak = max(peak, sum)
		sum -= charged[i].cost
	}
	return peak
}
