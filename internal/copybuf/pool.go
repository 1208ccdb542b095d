package copybuf

import "sync"

// Size is the reverse proxy's copy buffer, the size it would allocate itself.
const Size = 32 << 10

// Pool is an httputil.BufferPool of Size-byte buffers. Without one, ReverseProxy
// allocates a fresh 32 KiB buffer for every answer it copies: at saturation that was
// most of the gateway's allocated bytes, and the garbage collector's work with them.
// The pool holds array pointers: putting a slice back would box its header, one
// allocation per answer.
type Pool struct{ pool sync.Pool }

// New returns an empty pool.
func New() *Pool {
	return &Pool{pool: sync.Pool{New: func() any { return new([Size]byte) }}}
}

// Get returns a buffer of Size bytes.
func (c *Pool) Get() []byte { return c.pool.Get().(*[Size]byte)[:] }

// Put takes back a buffer; one with room for fewer than Size bytes is not the pool's, and
// is left to the garbage collector.
func (c *Pool) Put(b []byte) {
	if cap(b) < Size {
		return // not one of ours
	}
	c.pool.Put((*[Size]byte)(b[:Size]))
}
