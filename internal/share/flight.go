package share

import (
	"context"
	"net/http"
	"sync"

	"github.com/budgetgw/gateway/internal/cache"
)

// Flight is one upstream call that identical reads arriving meanwhile follow.
type Flight struct {
	upstream, path string // forwarded path: a write to a related one detaches the flight
	// done is made when the first follower joins (most reads are followed by nobody);
	// under flights.mu, and fixed once the flight has left the map.
	done      chan struct{}
	once      sync.Once
	answer    *Answer // set before done closes; nil: nothing to share, go alone
	followers int     // how many joined; under flights.mu
}

// Answer is what a flight hands its followers: the upstream's status, headers and body,
// without any header the gateway set for the leader.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Wait returns the flight's answer, or ctx's error if it ends first.
func (fl *Flight) Wait(ctx context.Context) (*Answer, error) {
	select {
	case <-fl.done:
		return fl.answer, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Flights is the set of reads in flight, by share key.
type Flights struct {
	mu sync.Mutex
	m  map[string]*Flight
}

// NewFlights returns an empty set.
func NewFlights() *Flights { return &Flights{m: map[string]*Flight{}} }

// Join returns the flight for key and whether the caller leads it (and must finish it).
func (f *Flights) Join(key, upstream, path string) (*Flight, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl, ok := f.m[key]; ok {
		if fl.followers == 0 {
			fl.done = make(chan struct{})
		}
		fl.followers++
		return fl, false
	}
	fl := &Flight{upstream: upstream, path: path}
	f.m[key] = fl
	return fl, true
}

// Finish ends the flight and publishes what answer returns (nil, or a nil func: nothing to
// share) to its followers. answer is called only if someone follows: most reads are
// followed by nobody, and copying their answer would be wasted. Only the first call
// counts, so the leader may finish early (an answer too big to share) and again on its
// way out.
func (f *Flights) Finish(key string, fl *Flight, answer func() *Answer) {
	fl.once.Do(func() {
		f.mu.Lock()
		if f.m[key] == fl {
			delete(f.m, key)
		}
		done := fl.done // final: nobody can join once it is out of the map
		f.mu.Unlock()
		if done == nil {
			return // nobody followed
		}
		if answer != nil {
			fl.answer = answer()
		}
		close(done)
	})
}

// Forget detaches the flights a write to path may change: reads arriving after the write
// start their own call rather than follow one that may have been answered before it.
func (f *Flights) Forget(upstream, path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for key, fl := range f.m {
		if fl.upstream == upstream && cache.Related(fl.path, path) {
			delete(f.m, key)
		}
	}
}
