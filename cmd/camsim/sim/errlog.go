package sim

import (
	"log/slog"
	"sync"
	"time"
)

// errorLog counts frequent errors (per packet, per reader) and logs at most one summary per
// period: the count since the last summary and the latest error.
type errorLog struct {
	logger *slog.Logger
	msg    string
	period time.Duration

	mu      sync.Mutex
	pending uint64
	last    time.Time
	lastErr error
}

func newErrorLog(logger *slog.Logger, msg string) *errorLog {
	return &errorLog{logger: logger, msg: msg, period: 5 * time.Second}
}

func (e *errorLog) add(err error, attrs ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending++
	e.lastErr = err
	now := time.Now()
	if now.Sub(e.last) < e.period {
		return
	}
	e.last = now
	e.logger.Warn(e.msg, append([]any{"count", e.pending, "error", err}, attrs...)...)
	e.pending = 0
}

// flush logs what is pending.
func (e *errorLog) flush() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending > 0 {
		e.logger.Warn(e.msg, "count", e.pending, "error", e.lastErr)
		e.pending = 0
	}
}
