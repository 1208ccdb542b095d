package share

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Most reads are followed by nobody: their answer is never copied. A followed one is built
// once, and the follower gets it.
func TestFinishBuildsTheAnswerOnlyWhenSomeoneFollows(t *testing.T) {
	f := NewFlights()
	built := 0
	answer := func() *Answer { built++; return &Answer{Status: http.StatusOK, Body: []byte("{}")} }

	alone, lead := f.Join("k", "up", "/users")
	if !lead {
		t.Fatal("the first read of a key must lead it")
	}
	f.Finish("k", alone, answer)
	if built != 0 {
		t.Fatalf("answer built %d times for a read nobody followed", built)
	}

	fl, _ := f.Join("k", "up", "/users")
	follower, lead := f.Join("k", "up", "/users")
	if lead || follower != fl {
		t.Fatal("an identical read arriving meanwhile must follow the flight")
	}
	f.Finish("k", fl, answer)
	f.Finish("k", fl, answer) // the leader's second finish, on its way out, does nothing
	a, err := follower.Wait(context.Background())
	if err != nil || a == nil || a.Status != http.StatusOK || built != 1 {
		t.Fatalf("follower got %+v, %v; answer built %d times, want once", a, err, built)
	}
}

// A write to a related path detaches the flight: reads after it start their own call.
func TestForgetDetachesFlightsToRelatedPaths(t *testing.T) {
	f := NewFlights()
	f.Join("k", "up", "/users/1")
	f.Forget("up", "/users")
	if _, lead := f.Join("k", "up", "/users/1"); !lead {
		t.Fatal("a read after a related write followed a flight that began before it")
	}
}

// No value can spell another field: moving bytes between path and query changes the key.
func TestKeysOfDifferentReadsDiffer(t *testing.T) {
	key := func(path, target string, h http.Header) string {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for k, v := range h {
			r.Header[k] = v
		}
		return Key("up", path, Request(r))
	}
	base := key("/users", "/users?a=1", nil)
	for name, other := range map[string]string{
		"query moved into path": key("/users?a=1", "/users", nil),
		"another Accept":        key("/users", "/users?a=1", http.Header{"Accept": {"text/csv"}}),
		"two Accept values":     key("/users", "/users?a=1", http.Header{"Accept": {"a", "b"}}),
	} {
		if other == base {
			t.Errorf("%s: same key as the plain read", name)
		}
	}
	if key("/users", "/users?", nil) == key("/users", "/users", nil) {
		t.Error(`a bare "?" reaches the upstream: it must be in the key`)
	}
	if key("/users", "/users?a=1", http.Header{"Traceparent": {"00-x"}, "Cookie": {"c"}}) != base {
		t.Error("trace context and unkeyed headers must not split reads")
	}
}
