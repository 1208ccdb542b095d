package proxy_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// An answer of known length is copied to the caller without a flush after every write:
// the server's own buffering decides when bytes go on the wire (one syscall per buffer,
// not one per 32 KiB read from the upstream).
func TestAnAnswerOfKnownLengthIsNotFlushedWriteByWrite(t *testing.T) {
	t.Parallel()
	body := `{"success":true,"data":[` + strings.Repeat(`{"id":"user_1","email":"ada@example.com"},`, 2000) + `{}]}`
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		for rest := body; rest != ""; {
			n := min(len(rest), 4096)
			_, _ = w.Write([]byte(rest[:n]))
			w.(http.Flusher).Flush() // arrives in many pieces, as from a real network
			rest = rest[n:]
		}
	}))
	t.Cleanup(up.Close)
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: up.URL})

	req := httptest.NewRequest(http.MethodGet, "/api/v2/users", nil)
	req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Reader))
	rec := httptest.NewRecorder()
	gw.Handler.ServeHTTP(rec, req)

	if rec.Code != http.StatusOK || rec.Body.String() != body {
		t.Fatalf("status %d, %d bytes; want 200 and the upstream's %d bytes", rec.Code, rec.Body.Len(), len(body))
	}
	if rec.Flushed {
		t.Error("the gateway flushed an answer of known length; the server's buffer should decide")
	}
}

// Answers the upstream streams (server-sent events, or any answer without a length) reach
// the caller piece by piece: the upstream sends its second piece only after the caller
// has read the first through the gateway, so a buffered answer would never complete.
func TestStreamedAnswersReachTheCallerPieceByPiece(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		method      string
		contentType string
		first, next string
	}{
		// A shared read (GET) streams when it is an event stream; any other answer of a
		// shared read is held for its followers (docs/sharing.md), so the JSON case is a write.
		{"server-sent events", http.MethodGet, "text/event-stream", "data: one\n\n", "data: two\n\n"},
		{"JSON without a Content-Length", http.MethodPost, "application/json", `{"success":true,"data":[` + "\n", `{"id":"user_1"}]}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			firstRead := make(chan struct{})
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				_, _ = w.Write([]byte(tc.first))
				w.(http.Flusher).Flush()
				select {
				case <-firstRead:
					_, _ = w.Write([]byte(tc.next))
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(up.Close)
			gw := proxytest.StartRetool(t, proxytest.RetoolOptions{BaseURL: up.URL})

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			req := gw.NewRequest(t, tc.method, "/api/v2/users", nil).WithContext(ctx)
			req.Header.Set("Authorization", "Bearer "+gw.Key(proxytest.Writer))
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			r := bufio.NewReader(resp.Body)
			if got := readLine(t, r); got != firstLine(tc.first) {
				t.Fatalf("first line %q, want %q", got, firstLine(tc.first))
			}
			close(firstRead)
			rest := ""
			for rest != tc.first[len(firstLine(tc.first)):]+tc.next {
				line, err := r.ReadString('\n')
				rest += line
				if err != nil {
					break
				}
			}
			if want := tc.first[len(firstLine(tc.first)):] + tc.next; rest != want {
				t.Errorf("after the first line the caller read %q, want %q", rest, want)
			}
		})
	}
}

func firstLine(s string) string { return s[:strings.IndexByte(s, '\n')+1] }

// readLine reads one line; the request's context bounds the wait.
func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first piece: %v (read %q): the answer was not streamed", err, line)
	}
	return line
}
