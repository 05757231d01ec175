package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestWarnOncePerPeriodPerMessage(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	l := &Logger{Logger: slog.New(slog.NewTextHandler(&buf, nil)), Now: func() time.Time { return now }}
	for range 5 {
		l.Warn("webhook failed", "n", 1)
	}
	l.Warn("queue full")
	now = now.Add(DefaultEvery)
	l.Warn("webhook failed", "n", 2)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[1], "queue full") {
		t.Errorf("another message was held back: %s", lines[1])
	}
	if !strings.Contains(lines[2], "n=2") || !strings.Contains(lines[2], "similar_suppressed=4") {
		t.Errorf("after the period: %s, want n=2 and similar_suppressed=4", lines[2])
	}
}
