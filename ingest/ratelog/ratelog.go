// Package ratelog logs warnings that can repeat at packet, picture or
// request rate (a dead webhook, a broken stream, a scanner hammering the
// API) at most once per period for each message, with the count of those
// left out in between, so that one fault cannot flood the service log.
package ratelog

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultEvery is the period when Logger.Every is zero.
const DefaultEvery = 10 * time.Second

// Logger is safe for concurrent use; its zero value needs only Logger set.
type Logger struct {
	Logger *slog.Logger
	Every  time.Duration
	// Now is the clock (tests set it); nil is time.Now.
	Now func() time.Time

	mu   sync.Mutex
	msgs map[string]*seen
}

type seen struct {
	next       time.Time
	suppressed int
}

// Warn logs msg unless the same msg was logged less than Every ago; a line
// that follows suppressed ones carries similar_suppressed=N.
func (l *Logger) Warn(msg string, args ...any) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	every := l.Every
	if every <= 0 {
		every = DefaultEvery
	}
	l.mu.Lock()
	if l.msgs == nil {
		l.msgs = map[string]*seen{}
	}
	s := l.msgs[msg]
	if s == nil {
		s = &seen{}
		l.msgs[msg] = s
	}
	if now.Before(s.next) {
		s.suppressed++
		l.mu.Unlock()
		return
	}
	n := s.suppressed
	s.next, s.suppressed = now.Add(every), 0
	l.mu.Unlock()
	if n > 0 {
		args = append(args, "similar_suppressed", n)
	}
	l.Logger.Warn(msg, args...)
}
