package copybuf

import (
	"net/http/httputil"
	"testing"
)

var _ httputil.BufferPool = (*Pool)(nil)

// Once warm, a Get and a Put allocate nothing: a slice put back is not boxed.
func TestAWarmPoolAllocatesNothing(t *testing.T) {
	p := New()
	p.Put(p.Get())
	if n := testing.AllocsPerRun(100, func() { p.Put(p.Get()) }); n != 0 {
		t.Fatalf("%v allocations per Get and Put; want none", n)
	}
	if b := p.Get(); len(b) != Size {
		t.Fatalf("Get returned %d bytes; want %d", len(b), Size)
	}
	p.Put(make([]byte, 10)) // not one of ours: ignored, not a panic
}
