package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWatchList(t *testing.T) { bothBackends(t, testWatchList) }

func testWatchList(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	w := Watch{Plate: "ab12 cde", Category: "car-meet", Reason: "  Car meets at the retail park, PSPO 2026/3  ",
		AddedBy: "sam", Added: readT0, Expires: readT0.Add(90 * 24 * time.Hour)}
	if err := s.AddWatch(ctx, &w); err != nil || w.ID == 0 || w.Plate != "AB12CDE" || w.Reason != "Car meets at the retail park, PSPO 2026/3" {
		t.Fatalf("add %+v, %v", w, err)
	}
	dup := Watch{Plate: "AB12CDE", Category: "other", Reason: "again", AddedBy: "olivia", Added: readT0, Expires: readT0.Add(time.Hour)}
	if err := s.AddWatch(ctx, &dup); !errors.Is(err, ErrWatchExists) {
		t.Errorf("listing a listed plate: %v", err)
	}
	for _, bad := range []Watch{
		{Plate: "AB12*", Category: "other", Reason: "x", AddedBy: "a", Added: readT0, Expires: readT0.Add(time.Hour)},
		{Plate: "XY12ABC", Category: "speeding", Reason: "x", AddedBy: "a", Added: readT0, Expires: readT0.Add(time.Hour)},
		{Plate: "XY12ABC", Category: "other", Reason: " ", AddedBy: "a", Added: readT0, Expires: readT0.Add(time.Hour)},
		{Plate: "XY12ABC", Category: "other", Reason: "x", AddedBy: "a", Added: readT0, Expires: readT0},
		{Plate: "XY12ABC", Category: "other", Reason: "x", AddedBy: "a", Added: readT0, Expires: readT0.Add(400 * 24 * time.Hour)},
	} {
		var fe FieldErrors
		if err := s.AddWatch(ctx, &bad); !errors.As(err, &fe) {
			t.Errorf("add %+v: %v, want a field error", bad, err)
		}
	}
	short := Watch{Plate: "YK19RXT", Category: "stolen", Reason: "Reported stolen", AddedBy: "sam", Added: readT0, Expires: readT0.Add(time.Hour)}
	if err := s.AddWatch(ctx, &short); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.Watches(ctx, time.Time{}); len(all) != 2 || all[0].Plate != "AB12CDE" {
		t.Errorf("all %+v", all)
	}
	if live, _ := s.Watches(ctx, readT0.Add(2*time.Hour)); len(live) != 1 || live[0].Plate != "AB12CDE" {
		t.Errorf("unexpired %+v", live)
	}
	w.Category, w.Reason, w.Plate = "pspo", "PSPO breach", "ZZ99ZZZ"
	if err := s.UpdateWatch(ctx, w); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Watch(ctx, w.ID); got.Category != "pspo" || got.Reason != "PSPO breach" || got.Plate != "AB12CDE" || got.AddedBy != "sam" {
		t.Errorf("updated %+v (the plate must not change)", got)
	}
	if del, err := s.DeleteWatch(ctx, w.ID); err != nil || del.Plate != "AB12CDE" {
		t.Errorf("delete %+v %v", del, err)
	}
	if _, err := s.DeleteWatch(ctx, w.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete again: %v", err)
	}
}
