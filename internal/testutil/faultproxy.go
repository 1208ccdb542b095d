package testutil

import (
	"net"
	"sync"
	"testing"
	"time"
)

// FaultProxy forwards TCP connections from a loopback port to a target and breaks them
// on demand, so a test can cut one client off a server that others still reach.
//
//	Cut:       close every connection, and close new ones as soon as they are accepted
//	BlackHole: connections stay open and nothing passes either way (a partition, a hung peer)
//	Delay:     every chunk waits d before it is passed on
//	Heal:      pass everything again (connections that lost bytes to a black hole are closed)
type FaultProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  faultMode
	delay time.Duration
	conns map[*faultConn]struct{}
	wg    sync.WaitGroup
}

type faultMode int

const (
	faultPass faultMode = iota
	faultCut
	faultBlackHole
)

type faultConn struct {
	client, server net.Conn
	once           sync.Once
	lost           bool // bytes were dropped: the stream is corrupt
}

func (c *faultConn) close() {
	c.once.Do(func() {
		_ = c.client.Close()
		if c.server != nil {
			_ = c.server.Close()
		}
	})
}

// NewFaultProxy listens on a free loopback port and forwards to target (host:port).
func NewFaultProxy(target string) (*FaultProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{ln: ln, target: target, conns: map[*faultConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// StartFaultProxy is NewFaultProxy for a test: it fails the test on error and closes the
// proxy when the test ends.
func StartFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	p, err := NewFaultProxy(target)
	if err != nil {
		t.Fatalf("fault proxy: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *FaultProxy) Addr() string { return p.ln.Addr().String() }

// URL is a redis:// URL through the proxy, for go-redis.
func (p *FaultProxy) URL() string { return "redis://" + p.Addr() + "/0" }

// Cut closes every connection and every new one.
func (p *FaultProxy) Cut() {
	p.mu.Lock()
	p.mode = faultCut
	conns := p.snapshot()
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// BlackHole keeps connections open and passes nothing.
func (p *FaultProxy) BlackHole() {
	p.mu.Lock()
	p.mode = faultBlackHole
	p.mu.Unlock()
}

// Delay holds every chunk for d before passing it on (0: no delay).
func (p *FaultProxy) Delay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Heal passes everything again; connections that lost bytes are closed.
func (p *FaultProxy) Heal() {
	p.mu.Lock()
	p.mode, p.delay = faultPass, 0
	var corrupt []*faultConn
	for c := range p.conns {
		if c.lost {
			corrupt = append(corrupt, c)
		}
	}
	p.mu.Unlock()
	for _, c := range corrupt {
		c.close()
	}
}

// Close stops the proxy and closes every connection.
func (p *FaultProxy) Close() {
	_ = p.ln.Close()
	p.mu.Lock()
	conns := p.snapshot()
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	p.wg.Wait()
}

func (p *FaultProxy) snapshot() []*faultConn {
	out := make([]*faultConn, 0, len(p.conns))
	for c := range p.conns {
		out = append(out, c)
	}
	return out
}

func (p *FaultProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		p.mu.Unlock()
		if mode == faultCut {
			_ = client.Close()
			continue
		}
		c := &faultConn{client: client}
		if mode != faultBlackHole {
			server, err := net.DialTimeout("tcp", p.target, 2*time.Second)
			if err != nil {
				_ = client.Close()
				continue
			}
			c.server = server
		} else {
			c.lost = true // accepted into the hole: never a usable stream
		}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.pump(c, c.client, c.server)
		if c.server != nil {
			p.wg.Add(1)
			go p.pump(c, c.server, c.client)
		}
	}
}

// pump copies src to dst chunk by chunk, applying the mode at each chunk.
func (p *FaultProxy) pump(c *faultConn, src, dst net.Conn) {
	defer p.wg.Done()
	defer func() {
		c.close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			mode, delay := p.mode, p.delay
			if mode == faultBlackHole || dst == nil {
				c.lost = true
			}
			p.mu.Unlock()
			switch {
			case mode == faultCut:
				return
			case mode == faultBlackHole || dst == nil:
				continue // swallowed
			}
			if delay > 0 {
				time.Sleep(delay)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or a closed connection: either side gone ends both
		}
	}
}
