package store

import (
	"context"
	"errors"
	"testing"
)

func TestPseudonymOfLooksUpWithoutCreating(t *testing.T) {
	bothBackends(t, testPseudonymOfLooksUpWithoutCreating)
}

func testPseudonymOfLooksUpWithoutCreating(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	if _, err := s.PseudonymOf(ctx, "PC 123 Smith"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown name: %v, want ErrNotFound", err)
	}
	// The lookup must not have created one.
	if _, err := s.PseudonymOf(ctx, "PC 123 Smith"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second lookup of an unknown name: %v, want ErrNotFound", err)
	}
	p, err := s.Pseudonym(ctx, "PC 123 Smith")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"PC 123 Smith", "  PC 123 Smith\t"} {
		if got, err := s.PseudonymOf(ctx, name); err != nil || got != p {
			t.Fatalf("PseudonymOf(%q) = %q %v, want %q", name, got, err, p)
		}
	}
	for _, name := range []string{"", "   ", "pc 123 smith", "PC 123"} {
		if got, err := s.PseudonymOf(ctx, name); !errors.Is(err, ErrNotFound) {
			t.Fatalf("PseudonymOf(%q) = %q %v, want ErrNotFound", name, got, err)
		}
	}
	if err := s.ErasePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PseudonymOf(ctx, "PC 123 Smith"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after erasure: %q %v, want ErrNotFound", got, err)
	}
}
