package app

import (
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "ts"
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	buf := newLogWriter(out, flushEvery, logBuffer, logLimit)
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), buf, lvl)
	// No sampling (every request gets its line) and no "caller" field: "caller" is ours,
	// the calling service.
	log := zap.New(core, zap.ErrorOutput(zapcore.Lock(os.Stderr)), zap.AddStacktrace(zapcore.ErrorLevel))
	return log, buf.Close, nil
}
