package store

import (
	"context"
	"testing"
)

// TestPing: an open store answers, a closed one does not.
func TestPing(t *testing.T) { bothBackends(t, testPing) }

func testPing(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("open store: %v", err)
	}
	s.Close()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("closed store: Ping passed")
	}
}
