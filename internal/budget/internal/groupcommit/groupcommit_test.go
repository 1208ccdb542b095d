package groupcommit

import (
	"slices"
	"sync"
	"testing"
)

// Every item added is sent once, in its key's order, at most max per call, with the
// latest meta of its key; Wait returns only when all of them were sent.
func TestEveryItemIsSentOnceInOrderInBoundedBatches(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]int{}
	meta := map[string]string{}
	block := make(chan struct{})
	first := true
	q := New(3, func(m string, items []int) {
		if first {
			first = false
			<-block // hold the first flush so that the rest queue up behind it
		}
		if len(items) > 3 {
			t.Errorf("a batch of %d items, want at most 3", len(items))
		}
		mu.Lock()
		defer mu.Unlock()
		key := m[:1]
		got[key] = append(got[key], items...)
		meta[key] = m
	})
	q.Add("a", "a0", 0)
	for i := 1; i <= 10; i++ {
		q.Add("a", "a"+string(rune('0'+i%10)), i)
		q.Add("b", "b1", i)
	}
	close(block)
	q.Wait()
	mu.Lock()
	defer mu.Unlock()
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(got["a"], want) {
		t.Errorf("key a sent %v, want %v", got["a"], want)
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(got["b"], want) {
		t.Errorf("key b sent %v, want %v", got["b"], want)
	}
	if meta["a"] != "a0" {
		t.Errorf("key a's last batch carried meta %q, want the latest given, %q", meta["a"], "a0")
	}
}
