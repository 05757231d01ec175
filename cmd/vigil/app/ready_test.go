package app

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// TestReady: ready while the store answers; "store unreachable" (the
// store's own error logged once, not shown) when it does not; "shutting
// down" once Close has begun.
func TestReady(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a := &App{store: st, logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx := context.Background()
	if err := a.ready(ctx); err != nil {
		t.Fatalf("open store: %v", err)
	}
	st.Close()
	for range 3 {
		if err := a.ready(ctx); err == nil || err.Error() != "store unreachable" {
			t.Fatalf("closed store: %v, want store unreachable", err)
		}
	}
	if n := strings.Count(logs.String(), "not ready"); n != 1 {
		t.Errorf("the store's failure logged %d times, want once:\n%s", n, logs.String())
	}
	a.readiness.closing.Store(true)
	if err := a.ready(ctx); err == nil || err.Error() != "shutting down" {
		t.Fatalf("closing: %v, want shutting down", err)
	}
}
