package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBookmarksSearch(t *testing.T) { bothBackends(t, testBookmarksSearch) }

func testBookmarksSearch(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	add := func(at time.Duration, note string, cams ...string) int64 {
		b := Bookmark{At: t0.Add(at), Cameras: cams, Note: note, CreatedBy: "op1", Created: t0}
		if err := s.AddBookmark(ctx, &b); err != nil {
			t.Fatal(err)
		}
		return b.ID
	}
	add(0, "Fight outside the 100% Club", "cam1", "cam2")
	idB := add(time.Hour, "Moped without plates", "cam2")
	add(2*time.Hour, "cam_1 underscore camera", "cam_1")

	cases := []struct {
		q    BookmarkQuery
		want int
	}{
		{BookmarkQuery{}, 3},
		{BookmarkQuery{Text: "moped"}, 1},
		{BookmarkQuery{Text: "100%"}, 1}, // % is literal, not a wildcard
		{BookmarkQuery{Camera: "cam1"}, 1},
		{BookmarkQuery{Camera: "cam2"}, 2},
		{BookmarkQuery{Camera: "cam_1"}, 1}, // _ is literal too: cam1 does not match cam_1
		{BookmarkQuery{From: t0.Add(time.Minute)}, 2},
		{BookmarkQuery{To: t0.Add(time.Hour)}, 1},
		{BookmarkQuery{Limit: 2}, 2},
	}
	for _, c := range cases {
		got, err := s.Bookmarks(ctx, c.q)
		if err != nil || len(got) != c.want {
			t.Errorf("%+v: %d bookmarks, %v; want %d", c.q, len(got), err, c.want)
		}
	}
	all, _ := s.Bookmarks(ctx, BookmarkQuery{})
	if !all[0].At.After(all[1].At) || len(all[2].Cameras) != 2 || all[2].Cameras[1] != "cam2" {
		t.Errorf("not newest first with cameras kept: %+v", all)
	}
	if err := s.DeleteBookmark(ctx, idB); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BookmarkByID(ctx, idB); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted bookmark: %v", err)
	}
	if err := s.DeleteBookmark(ctx, idB); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	for _, bad := range []Bookmark{
		{Cameras: []string{"cam1"}, Note: "x"},
		{At: t0, Note: "x"},
		{At: t0, Cameras: []string{"Not An Id"}, Note: "x"},
		{At: t0, Cameras: []string{"cam1"}, Note: "   "},
	} {
		var fe FieldErrors
		if err := s.AddBookmark(ctx, &bad); !errors.As(err, &fe) {
			t.Errorf("%+v accepted: %v", bad, err)
		}
	}
}

func TestWallsBelongToTheirUser(t *testing.T) { bothBackends(t, testWallsBelongToTheirUser) }

func testWallsBelongToTheirUser(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.Now()
	var ids []int64
	for _, name := range []string{"alice", "bob"} {
		u := User{Username: name, Roles: "operator", PasswordHash: "x", PasswordChanged: now, Created: now, CreatedBy: "test"}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	w := Wall{UserID: ids[0], Name: "Town centre", Layout: "2x2", Tiles: []string{"cam1", "", "cam3"},
		Tour: []string{"cam1", "cam2"}, TourSeconds: 10, Updated: now}
	if err := s.SaveWall(ctx, &w); err != nil || w.ID == 0 {
		t.Fatalf("save: %v id %d", err, w.ID)
	}
	dup := w
	dup.ID = 0
	if err := s.SaveWall(ctx, &dup); !errors.Is(err, ErrExists) {
		t.Errorf("same name twice: %v", err)
	}
	other := w
	other.UserID = ids[1]
	if err := s.SaveWall(ctx, &other); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob overwrote alice's wall: %v", err)
	}
	if err := s.DeleteWall(ctx, ids[1], w.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob deleted alice's wall: %v", err)
	}
	w.Layout, w.Tiles = "3x3", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}
	if err := s.SaveWall(ctx, &w); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Walls(ctx, ids[0])
	if len(got) != 1 || got[0].Layout != "3x3" || len(got[0].Tiles) != 9 || got[0].TourSeconds != 10 || len(got[0].Tour) != 2 {
		t.Errorf("walls: %+v", got)
	}
	if got, _ := s.Walls(ctx, ids[1]); len(got) != 0 {
		t.Errorf("bob sees %d walls", len(got))
	}
	for _, bad := range []Wall{
		{UserID: ids[0], Name: "x", Layout: "6x6"},
		{UserID: ids[0], Name: "", Layout: "1x1"},
		{UserID: ids[0], Name: "x", Layout: "1x1", Tiles: []string{"a", "b"}},
		{UserID: ids[0], Name: "x", Layout: "1x1", TourSeconds: 1},
	} {
		var fe FieldErrors
		if err := s.SaveWall(ctx, &bad); !errors.As(err, &fe) {
			t.Errorf("%+v accepted: %v", bad, err)
		}
	}
}
