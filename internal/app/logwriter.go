package app

import (
	"errors"
	"sync"
	"time"

	"go.uber.org/zap/zapcore"
)

// logWriter puts the log between the requests and the disk. A line is copied into
// memory under a short lock and the request goes on; one goroutine writes the waiting
// lines out, outside that lock, in one write: when soon bytes are waiting, at least every
// interval, and all of them at close. A request never waits for a write, and never for
// an fsync (the timed write has none: a process that dies loses nothing the kernel
// already holds; Sync, on close or after a fatal line, does fsync).
//
// Nothing is dropped. When limit bytes are waiting (the disk has stalled for a while),
// writers wait until the write in flight ends and the waiting lines are taken: memory
// stays bounded, and the stall shows in the log's own lines being late.
type logWriter struct {
	out         zapcore.WriteSyncer
	soon, limit int

	mu      sync.Mutex
	room    sync.Cond // broadcast when the waiting lines are taken
	waiting []byte
	spare   []byte // the buffer last written out, reused for the next lines
	err     error  // the first write error, for close
	closed  bool

	writing sync.Mutex // one write out at a time, so blocks reach out in order

	kick chan struct{} // soon bytes are waiting
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newLogWriter(out zapcore.WriteSyncer, interval time.Duration, soon, limit int) *logWriter {
	w := &logWriter{out: out, soon: soon, limit: max(limit, soon),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.room.L = &w.mu
	go w.run(interval)
	return w
}

// Write implements zapcore.WriteSyncer; zap hands it one whole line per call.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	for !w.closed && len(w.waiting) > 0 && len(w.waiting)+len(p) > w.limit {
		w.room.Wait()
	}
	w.waiting = append(w.waiting, p...)
	closed, full := w.closed, len(w.waiting) >= w.soon
	w.mu.Unlock()
	switch {
	case closed: // no flusher any more: a late line goes out at once
		if err := w.writeOut(); err != nil {
			return 0, err
		}
	case full:
		select {
		case w.kick <- struct{}{}:
		default: // already kicked
		}
	}
	return len(p), nil
}

// Sync writes out what is waiting and syncs the file under it.
func (w *logWriter) Sync() error {
	return errors.Join(w.writeOut(), w.out.Sync())
}

// Close stops the flusher and writes out every line still waiting; it returns the first
// error any write met. Lines logged after Close are written at once.
func (w *logWriter) Close() error {
	w.once.Do(func() { close(w.stop) })
	<-w.done
	w.mu.Lock()
	w.closed = true
	w.room.Broadcast()
	w.mu.Unlock()
	syncErr := w.Sync()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return syncErr
}

func (w *logWriter) run(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-w.kick:
		case <-w.stop:
			_ = w.writeOut()
			return
		}
		_ = w.writeOut()
	}
}

// writeOut takes the waiting lines, so writers go on filling the spare buffer, and
// writes them out in one write.
func (w *logWriter) writeOut() error {
	w.writing.Lock()
	defer w.writing.Unlock()
	w.mu.Lock()
	buf := w.waiting
	w.waiting, w.spare = w.spare[:0], nil
	w.room.Broadcast()
	w.mu.Unlock()
	var err error
	if len(buf) > 0 {
		_, err = w.out.Write(buf)
	}
	w.mu.Lock()
	w.spare = buf[:0]
	if err != nil && w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	return err
}
