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
	c.Put(entry("a", "/a", 1))
	c.Put(entry("b", "/b", 1))
	c.Get("a")
	c.Put(entry("c", "/c", 1))
	if _, ok := c.Get("b"); ok || evictions != 1 {
		t.Fatalf("b kept (%v) or %d evictions; want b out, one eviction", ok, evictions)
	}
	if _, ok := c.Get("a"); !ok {
		t.Fatal("a, used recently, was evicted")
	}
}

func TestBytesAreBounded(t *testing.T) {
	c := New(Limits{MaxBytes: 1000, MaxEntry: 600}, nil)
	c.Put(entry("big", "/big", 700))
	if c.Len() != 0 {
		t.Fatal("an entry over MaxEntry was stored")
	}
	c.Put(entry("a", "/a", 500))
	c.Put(entry("b", "/b", 500))
	if c.Len() != 1 {
		t.Fatalf("%d entries; want 1 within 1000 bytes", c.Len())
	}
}

func TestAWriteInvalidatesTheReadsUnderAndAboveIt(t *testing.T) {
	c := New(Limits{}, nil)
	for _, p := range []string{"/api/v2/users", "/api/v2/users/7", "/api/v2/users/7/user_attributes", "/api/v2/users/70", "/api/v2/groups"} {
		c.Put(entry(p, p, 1))
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
