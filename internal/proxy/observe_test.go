package proxy_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// heldLog is a log whose access lines cannot be written until released: a disk that has
// stalled, or a log pipe nobody reads.
type heldLog struct{ release chan struct{} }

func (h heldLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"msg":"request"`)) {
		<-h.release
	}
	return len(p), nil
}

func (heldLog) Sync() error { return nil }

// The caller's answer does not wait for the gateway's bookkeeping: with the access line
// unable to be written, a forwarded answer and a refusal both arrive whole.
func TestTheAnswerGoesOutBeforeTheAccessLine(t *testing.T) {
	t.Parallel()
	held := heldLog{release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(held.release)
		}
	}
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), held, zap.InfoLevel))
	gw := proxytest.StartRetool(t, proxytest.RetoolOptions{Logger: logger})
	t.Cleanup(release) // registered after Start's: runs first, so the drain can finish
	key := gw.Key(proxytest.Reader)
	// A connection serves its next request only when the handler has returned, so each
	// call has its own: what is asserted is when the answer arrives.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"a refusal", "/api/v2/no-such-thing", http.StatusNotFound},
		{"a forwarded read", "/api/v2/users", http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, gw.URL+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		got := make(chan string, 1)
		go func() {
			resp, err := client.Do(req)
			if err != nil {
				got <- err.Error()
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				got <- err.Error()
				return
			}
			if resp.StatusCode != tc.status || int64(len(body)) != resp.ContentLength {
				got <- "status " + resp.Status + ", body " + string(body)
				return
			}
			got <- ""
		}()
		select {
		case msg := <-got:
			if msg != "" {
				t.Errorf("%s: %s", tc.name, msg)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no whole answer while the access line waited for the log", tc.name)
		}
	}
}
