package app

import (
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/budgetgw/gateway/internal/logline"
)

// Access-log buffering (logWriter): a request copies its line into memory and goes on;
// one goroutine writes the lines to the file in blocks, when logBuffer bytes are waiting,
// at least every logFlushEvery, and all of them when the logger is closed. Nothing is
// dropped: past logLimit bytes waiting (a disk stalled for seconds), requests wait for
// the block in flight. A crash that kills the process loses at most the last
// logFlushEvery of lines.
const (
	logBuffer     = 256 << 10
	logLimit      = 8 * logBuffer
	logFlushEvery = time.Second
)

// NewLogger builds the JSON logger at level, writing to standard error through the buffer
// above. Call close on the way out (after the server has drained): it writes what is
// still buffered and stops the flushing goroutine.
func NewLogger(level string) (log *zap.Logger, close func() error, err error) {
	return newLogger(level, zapcore.Lock(os.Stderr), logFlushEvery)
}

func newLogger(level string, out zapcore.WriteSyncer, flushEvery time.Duration) (*zap.Logger, func() error, error) {
	lvl := zap.NewAtomicLevel()
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, fmt.Errorf("log.level: %w", err)
	}
	buf := newLogWriter(out, flushEvery, logBuffer, logLimit)
	core := lineCore{Core: zapcore.NewCore(zapcore.NewJSONEncoder(logline.EncoderConfig()), buf, lvl), out: buf}
	// No sampling (every request gets its line) and no "caller" field: "caller" is ours,
	// the calling service.
	log := zap.New(core, zap.ErrorOutput(zapcore.Lock(os.Stderr)), zap.AddStacktrace(zapcore.ErrorLevel))
	return log, buf.Close, nil
}

// lineCore is the JSON core that also takes lines encoded by package logline (its own
// format), written to the same buffer in the same order as its entries.
type lineCore struct {
	zapcore.Core
	out *logWriter
}

// WriteLine implements logline.Writer.
func (c lineCore) WriteLine(line []byte) error {
	_, err := c.out.Write(line)
	return err
}
