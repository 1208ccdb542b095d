package cache_test

import (
	"testing"

	"github.com/budgetgw/gateway/internal/cache"
)

func TestTheLRUDropsTheLeastRecentlyUsedAndCountsBytes(t *testing.T) {
	l := cache.NewLRU[string](func(s string) int64 { return int64(len(s)) })
	l.Add("a", "1")
	l.Add("b", "22")
	l.Add("c", "333")
	l.Get("a") // used: "b" is now the oldest
	l.Add("c", "4444")
	if l.Len() != 3 || l.Bytes() != 1+2+4 {
		t.Fatalf("len %d bytes %d; want 3 entries of 7 bytes (c replaced)", l.Len(), l.Bytes())
	}
	l.RemoveOldest()
	if _, ok := l.Get("b"); ok {
		t.Fatal("the least recently used entry survived RemoveOldest")
	}
	if n := l.RemoveFunc(func(k, _ string) bool { return k == "a" }); n != 1 || l.Len() != 1 || l.Bytes() != 4 {
		t.Fatalf("RemoveFunc dropped %d; %d left of %d bytes", n, l.Len(), l.Bytes())
	}
	if v, ok := l.Get("c"); !ok || v != "4444" {
		t.Fatalf("Get(c) = %q, %v", v, ok)
	}
	l.RemoveOldest()
	if l.RemoveOldest() {
		t.Fatal("RemoveOldest on an empty LRU said it removed something")
	}
}
