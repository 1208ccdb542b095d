package cache

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func entry(key, path string, body int) *Entry {
	return &Entry{Key: key, Path: path, Status: 200, Header: http.Header{}, Body: []byte(strings.Repeat("x", body)), Expires: time.Now().Add(time.Minute)}
}

func TestTheLeastRecentlyUsedGoesFirstWhenFull(t *testing.T) {
	evictions := 0
	c := New(Limits{MaxEntries: 2}, func() { evictions++ })
	c.Put(entry("a", "/a", 1), c.Begin())
	c.Put(entry("b", "/b", 1), c.Begin())
	c.Get("a")
	c.Put(entry("c", "/c", 1), c.Begin())
	if _, ok := c.Get("b"); ok || evictions != 1 {
		t.Fatalf("b kept (%v) or %d evictions; want b out, one eviction", ok, evictions)
	}
	if _, ok := c.Get("a"); !ok {
		t.Fatal("a, used recently, was evicted")
	}
}

func TestBytesAreBounded(t *testing.T) {
	c := New(Limits{MaxBytes: 1000, MaxEntry: 600}, nil)
	c.Put(entry("big", "/big", 700), c.Begin())
	if c.Len() != 0 {
		t.Fatal("an entry over MaxEntry was stored")
	}
	c.Put(entry("a", "/a", 500), c.Begin())
	c.Put(entry("b", "/b", 500), c.Begin())
	if c.Len() != 1 {
		t.Fatalf("%d entries; want 1 within 1000 bytes", c.Len())
	}
}

func TestAWriteInvalidatesTheReadsUnderAndAboveIt(t *testing.T) {
	c := New(Limits{}, nil)
	for _, p := range []string{"/api/v2/users", "/api/v2/users/7", "/api/v2/users/7/user_attributes", "/api/v2/users/70", "/api/v2/groups"} {
		c.Put(entry(p, p, 1), c.Begin())
	}
	if n := c.Invalidate("/api/v2/users/7"); n != 3 {
		t.Fatalf("invalidated %d; want the list, the item and its attributes", n)
	}
	for _, p := range []string{"/api/v2/users/70", "/api/v2/groups"} {
		if _, ok := c.Get(p); !ok {
			t.Errorf("%s was invalidated by a write to /api/v2/users/7", p)
		}
	}
}

func TestOnlyShareableAnswersAreStorable(t *testing.T) {
	cases := []struct {
		name   string
		status int
		header http.Header
		want   bool
	}{
		{"a plain 200 is storable", 200, http.Header{}, true},
		{"a 404 is not", 404, http.Header{}, false},
		{"no-store is not", 200, http.Header{"Cache-Control": {"no-store"}}, false},
		{"private is not", 200, http.Header{"Cache-Control": {"max-age=5, private"}}, false},
		{"Vary: Authorization is not", 200, http.Header{"Vary": {"Accept, Authorization"}}, false},
		{"Set-Cookie is not", 200, http.Header{"Set-Cookie": {"a=b"}}, false},
	}
	for _, c := range cases {
		if got := Storable(c.status, c.header); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}

// The hole (issue 13, item 5): a read in flight across a write was stored after the
// write's invalidation and then served stale for its whole TTL.
func TestAReadThatBeganBeforeAWriteToItsPathIsNotStored(t *testing.T) {
	cases := []struct {
		name    string
		read    string
		written []string // invalidated while the read was in flight
		stored  bool
	}{
		{"no write meanwhile: stored", "/api/v2/users/7", nil, true},
		{"a write to the same path: not stored", "/api/v2/users/7", []string{"/api/v2/users/7"}, false},
		{"a write under the list: not stored", "/api/v2/users", []string{"/api/v2/users/7"}, false},
		{"a write in another case: not stored", "/api/v2/users/7", []string{"/API/V2/USERS/7"}, false},
		{"a write elsewhere: stored", "/api/v2/users/7", []string{"/api/v2/groups/7", "/api/v2/users/70"}, true},
		{"more writes than are remembered: not stored", "/api/v2/users/7", repeat("/api/v2/groups", keptWrites+1), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Limits{}, nil)
			c.Invalidate("/api/v2/apps") // an earlier write changes nothing
			began := c.Begin()
			for _, p := range tc.written {
				c.Invalidate(p)
			}
			if got := c.Put(entry("k", tc.read, 1), began); got != tc.stored {
				t.Fatalf("Put = %v, want %v", got, tc.stored)
			}
			if _, ok := c.Get("k"); ok != tc.stored {
				t.Fatalf("entry kept = %v, want %v", ok, tc.stored)
			}
			if tc.stored && !c.Put(entry("k2", tc.read, 1), c.Begin()) {
				t.Fatal("a read that began after the writes was refused")
			}
		})
	}
}

// The hole (issue 13, item 5): reads stored under one spelling of a path were not
// forgotten by a write to another.
func TestAWriteForgetsReadsWhateverTheCaseOfItsPath(t *testing.T) {
	c := New(Limits{}, nil)
	for _, p := range []string{"/api/v2/users/7", "/api/v2/Users/7/user_attributes", "/api/v2/users"} {
		c.Put(entry(p, p, 1), c.Begin())
	}
	if n := c.Invalidate("/API/v2/USERS/7"); n != 3 {
		t.Fatalf("invalidated %d; want all 3 spellings", n)
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
