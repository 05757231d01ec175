package analytics

import (
	"log/slog"
	"sync"
	"time"
)

// errLog logs failures at most once per what every 10 s, with how many
// were not logged in between: a broken stream or database must not flood
// the log at picture rate.
type errLog struct {
	logger *slog.Logger
	mu     sync.Mutex
	seen   map[string]*errCount
}

type errCount struct {
	next   time.Time
	missed int
}

func (l *errLog) log(what string, err error, attrs ...any) {
	l.mu.Lock()
	if l.seen == nil {
		l.seen = map[string]*errCount{}
	}
	c := l.seen[what]
	if c == nil {
		c = &errCount{}
		l.seen[what] = c
	}
	now := time.Now()
	if now.Before(c.next) {
		c.missed++
		l.mu.Unlock()
		return
	}
	missed := c.missed
	c.next, c.missed = now.Add(10*time.Second), 0
	l.mu.Unlock()
	l.logger.Warn("analytics: "+what, append([]any{"error", err, "not_logged_since_last", missed}, attrs...)...)
}
