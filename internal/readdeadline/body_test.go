package readdeadline

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A client that stops mid-body is cut off at the deadline and told apart from other
// failures; one that sends the whole body is not.
func TestABodyThatStopsArrivingTimesOut(t *testing.T) {
	type result struct {
		n        int
		timedOut bool
	}
	got := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := New(r.Body, w, 100*time.Millisecond, time.Now)
		body, _ := io.ReadAll(b)
		got <- result{len(body), b.TimedOut()}
	}))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		name     string
		sent     string
		timedOut bool
	}{
		{"whole body", "0123456789", false},
		{"three bytes of ten, then nothing", "abc", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_, _ = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"+c.sent)
			r := <-got
			if r.n != len(c.sent) || r.timedOut != c.timedOut {
				t.Fatalf("read %d bytes, timed out %v; want %d, %v", r.n, r.timedOut, len(c.sent), c.timedOut)
			}
		})
	}
}

func TestANilBodyNeverTimedOut(t *testing.T) {
	var b *Body
	if b.TimedOut() {
		t.Fatal("a request without a body cannot have timed out reading it")
	}
}
