package app

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// stalledDisk is a WriteSyncer whose writes block until released, like a disk that has
// stopped answering; it records what reached it, in order.
type stalledDisk struct {
	release chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
	entered chan struct{} // one value per write that has started
}

func newStalledDisk() *stalledDisk {
	return &stalledDisk{release: make(chan struct{}), entered: make(chan struct{}, 1000)}
}

func (d *stalledDisk) Write(p []byte) (int, error) {
	d.entered <- struct{}{}
	<-d.release
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.got.Write(p)
}

func (d *stalledDisk) Sync() error { return nil }

// A request's line costs it a copy, whatever the disk is doing: with the write out
// stalled, lines keep being accepted up to the limit, at once; past it writers wait
// (memory stays bounded) and nothing is lost or reordered once the disk answers.
func TestAStalledDiskDoesNotHoldUpLinesBelowTheLimit(t *testing.T) {
	t.Parallel()
	disk := newStalledDisk()
	const line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\n" // 64 bytes
	w := newLogWriter(disk, time.Hour, 4*len(line), 16*len(line))

	for i := range 4 { // reaches soon: the flusher is kicked and stalls in its write
		if _, err := w.Write([]byte(fmt.Sprintf("%03d", i) + line[3:])); err != nil {
			t.Fatal(err)
		}
	}
	<-disk.entered
	accepted := make(chan int, 64)
	go func() {
		for i := 4; i < 40; i++ {
			_, _ = w.Write([]byte(fmt.Sprintf("%03d", i) + line[3:]))
			accepted <- i
		}
		close(accepted)
	}()
	// 16 more lines fit under the limit while the first block is stuck.
	for range 16 {
		select {
		case <-accepted:
		case <-time.After(30 * time.Second):
			t.Fatal("a line below the limit waited for the stalled disk")
		}
	}
	select {
	case i := <-accepted:
		t.Fatalf("line %d accepted past the limit while the disk was stalled", i)
	case <-time.After(50 * time.Millisecond): // held back, as it should be
	}
	close(disk.release)
	for range accepted {
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(disk.got.String(), "\n"), "\n")
	if len(lines) != 40 {
		t.Fatalf("%d lines reached the disk, want 40", len(lines))
	}
	for i, l := range lines {
		if want := fmt.Sprintf("%03d", i) + line[3:len(line)-1]; l != want {
			t.Fatalf("line %d is %q, want %q: lines lost, split or reordered", i, l, want)
		}
	}
}

// After Close (the server has drained) a late line is still written, at once.
func TestALineAfterCloseIsWrittenAtOnce(t *testing.T) {
	t.Parallel()
	disk := newStalledDisk()
	close(disk.release)
	w := newLogWriter(disk, time.Hour, 1<<20, 1<<20)
	_, _ = w.Write([]byte("before\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("after\n"))
	disk.mu.Lock()
	defer disk.mu.Unlock()
	if got := disk.got.String(); got != "before\nafter\n" {
		t.Errorf("disk holds %q, want both lines in order", got)
	}
}
