package proxy

import "sync"

// copyBufferSize is the reverse proxy's copy buffer, the size it would allocate itself.
const copyBufferSize = 32 << 10

// copyBuffers is the reverse proxies' httputil.BufferPool. Without one, ReverseProxy
// allocates a fresh 32 KiB buffer for every answer it copies: at saturation that was
// most of the gateway's allocated bytes, and the garbage collector's work with them.
// The pool holds array pointers: putting a slice back would box its header, one
// allocation per answer.
type copyBuffers struct{ pool sync.Pool }

func newCopyBuffers() *copyBuffers {
	return &copyBuffers{pool: sync.Pool{New: func() any { return new([copyBufferSize]byte) }}}
}

func (c *copyBuffers) Get() []byte { return c.pool.Get().(*[copyBufferSize]byte)[:] }

func (c *copyBuffers) Put(b []byte) {
	if cap(b) < copyBufferSize {
		return // not one of ours
	}
	c.pool.Put((*[copyBufferSize]byte)(b[:copyBufferSize]))
}
