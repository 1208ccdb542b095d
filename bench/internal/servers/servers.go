// Package servers holds the stand-in servers the harness measures the gateway against,
// each run as a child process of the harness's own binary so that its CPU time and
// memory are read apart from the load generator's: the recording upstream (a fixed
// Retool-shaped answer, counting every call and checking its token) and the plain
// httputil.ReverseProxy baseline.
//
// They serve loopback only, keep nothing on disk, and never take part in the gateway's
// own decisions: they are the yardsticks, not the thing measured.
package servers

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// upstreamBody is a Retool-shaped list answer of a realistic small size.
const upstreamBody = `{"success":true,"data":[{"id":"user_1","email":"ada@example.com","active":true,"created_at":"2024-05-09T03:08:11Z"},{"id":"user_2","email":"alan@example.com","active":true,"created_at":"2024-10-19T07:20:34Z"}],"total_count":2,"next_token":null,"has_more":false}`

// UpstreamStats is what the recording upstream reports at /__bench/stats.
type UpstreamStats struct {
	Arrivals int64 `json:"arrivals"`  // calls that carried the org token and were answered
	BadToken int64 `json:"bad_token"` // calls that did not (a proxy that failed to swap keys)
}

// RunUpstream is the recording upstream: it answers every call carrying the org token
// with a fixed body, counts arrivals, and refuses any other token.
func RunUpstream(args []string) error {
	fs := flag.NewFlagSet("upstream", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	token := fs.String("token", "", "the org token every call must carry")
	if err := fs.Parse(args); err != nil {
		return err
	}
	want := "Bearer " + *token
	var st UpstreamStats
	var arrivals, bad atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /__bench/stats", func(w http.ResponseWriter, _ *http.Request) {
		st.Arrivals, st.BadToken = arrivals.Load(), bad.Load()
		_ = json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != want {
			bad.Add(1)
			http.Error(w, `{"success":false,"message":"Invalid API token"}`, http.StatusUnauthorized)
			return
		}
		arrivals.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(upstreamBody))
	})
	return serveUntilSignal(*listen, mux)
}

// FetchUpstreamStats reads the recording upstream's counts at base.
func FetchUpstreamStats(base string) (UpstreamStats, error) {
	var st UpstreamStats
	resp, err := http.Get(base + "/__bench/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// RunPlainProxy is the baseline: httputil.ReverseProxy that only swaps the caller's
// Authorization for the org token, with the same transport settings as the gateway's.
func RunPlainProxy(args []string) error {
	fs := flag.NewFlagSet("plainproxy", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	target := fs.String("target", "", "upstream base URL")
	token := fs.String("token", "", "the org token to inject")
	pool := fs.Bool("pool", false, "reuse the copy buffers (httputil.BufferPool), as the gateway does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-target %q: not an absolute URL", *target)
	}
	bearer := "Bearer " + *token
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header.Set("Authorization", bearer)
		},
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	if *pool {
		rp.BufferPool = &bufferPool{}
	}
	return serveUntilSignal(*listen, rp)
}

// serveUntilSignal serves h until SIGTERM or SIGINT, then shuts down.
func serveUntilSignal(addr string, h http.Handler) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Shutdown(context.Background()) }()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// bufferPool is the smallest httputil.BufferPool: 32 KiB buffers, the size ReverseProxy
// allocates per answer without one.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[32 << 10]byte); ok {
		return v[:]
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) >= 32<<10 {
		b.p.Put((*[32 << 10]byte)(buf[:32<<10]))
	}
}
