package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

// fiveMinuteSegments indexes n contiguous 5-minute segments from start.
func fiveMinuteSegments(t *testing.T, s *Store, camera string, start time.Time, n int) []Segment {
	t.Helper()
	stream := uuid.New()
	var out []Segment
	for i := range n {
		seg := Segment{
			Camera:   camera,
			Start:    start.Add(time.Duration(i) * 5 * time.Minute),
			End:      start.Add(time.Duration(i+1) * 5 * time.Minute),
			Path:     fmt.Sprintf("%s/%d.mp4", camera, i),
			Bytes:    150 << 20,
			SHA256:   sha256.Sum256([]byte{byte(i)}),
			StreamID: stream,
			Sequence: uint64(i),
			Frames:   7500,
		}
		if err := s.AddSegment(context.Background(), &seg); err != nil {
			t.Fatal(err)
		}
		out = append(out, seg)
	}
	return out
}

func TestSegmentsAcrossTheClockChange(t *testing.T) {
	bothBackends(t, testSegmentsAcrossTheClockChange)
}

func testSegmentsAcrossTheClockChange(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	// BST ends at 01:00 UTC on 2026-10-25: 01:30 London happens twice.
	start := time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)
	segs := fiveMinuteSegments(t, s, "cam001", start, 36) // 00:00-03:00 UTC
	fiveMinuteSegments(t, s, "cam002", start, 3)

	// 01:30 BST (00:30 UTC) to 01:30 GMT (01:30 UTC) is one hour, not zero.
	from := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).In(london) // the first 01:30 (BST)
	to := time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC).In(london)   // the second 01:30 (GMT)
	if from.Format("15:04 MST") != "01:30 BST" || to.Format("15:04 MST") != "01:30 GMT" {
		t.Fatalf("test setup: from %s to %s", from.Format("15:04 MST"), to.In(london).Format("15:04 MST"))
	}
	got, err := s.Segments(ctx, "cam001", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 12 || !got[0].Start.Equal(from) || !got[11].End.Equal(to) {
		t.Fatalf("one hour across the change: %d segments from %v", len(got), got[0].Start)
	}
	back := got[3]
	want := segs[9]
	if back.Path != want.Path || back.SHA256 != want.SHA256 || back.StreamID != want.StreamID || back.Sequence != 9 || back.Bytes != want.Bytes {
		t.Fatalf("round trip: %+v, want %+v", back, want)
	}
	// A range inside one segment finds it; the other camera is separate.
	mid, _ := s.Segments(ctx, "cam001", start.Add(7*time.Minute), start.Add(8*time.Minute))
	if len(mid) != 1 || mid[0].Sequence != 1 {
		t.Fatalf("inside a segment: %+v", mid)
	}
	if other, _ := s.Segments(ctx, "cam002", time.Time{}, time.Time{}); len(other) != 3 {
		t.Fatalf("cam002 has %d segments", len(other))
	}
	if err := s.AddSegment(ctx, &Segment{Camera: "cam001", Start: start, End: start.Add(time.Second), Path: segs[0].Path, StreamID: uuid.New()}); !errors.Is(err, ErrExists) {
		t.Fatalf("same path indexed twice: %v", err)
	}
	if err := s.AddSegment(ctx, &Segment{Camera: "cam001", Start: start, End: start, Path: "x"}); err == nil {
		t.Fatal("an empty segment was indexed")
	}
}

func TestDeletionIsRecordedWithItsHash(t *testing.T) {
	bothBackends(t, testDeletionIsRecordedWithItsHash)
}

func testDeletionIsRecordedWithItsHash(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	segs := fiveMinuteSegments(t, s, "cam001", start, 4)
	oldest, err := s.OldestSegments(ctx, 0, 2)
	if err != nil || len(oldest) != 2 || oldest[0].Path != segs[0].Path {
		t.Fatalf("oldest: %v %v", oldest, err)
	}
	at := start.Add(31 * 24 * time.Hour)
	if err := s.DeleteSegment(ctx, oldest[0], "retention: older than 31 days", at); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSegment(ctx, oldest[0], "again", at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	left, _ := s.Segments(ctx, "cam001", time.Time{}, time.Time{})
	if len(left) != 3 {
		t.Fatalf("%d segments left", len(left))
	}
	dels, err := s.Deletions(ctx, "cam001", time.Time{}, time.Time{})
	if err != nil || len(dels) != 1 {
		t.Fatalf("deletions: %v %v", dels, err)
	}
	d := dels[0]
	if d.Segment.SHA256 != segs[0].SHA256 || d.Segment.Path != segs[0].Path || !d.DeletedAt.Equal(at) || d.Reason == "" {
		t.Fatalf("deletion record: %+v", d)
	}
}

func TestHoldsAndGaps(t *testing.T) { bothBackends(t, testHoldsAndGaps) }

func testHoldsAndGaps(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	h := Hold{Camera: "cam001", Start: t0, End: t0.Add(time.Hour), Reason: "CAD 1234/01JUN", CreatedBy: "sgt.jones"}
	if err := s.AddHold(ctx, &h); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		camera   string
		from, to time.Time
		want     bool
	}{
		{"cam001", t0.Add(-time.Hour), t0.Add(time.Minute), true},
		{"cam001", t0.Add(59 * time.Minute), t0.Add(2 * time.Hour), true},
		{"cam001", t0.Add(time.Hour), t0.Add(2 * time.Hour), false},
		{"cam001", t0.Add(-time.Hour), t0, false},
		{"cam002", t0, t0.Add(time.Hour), false},
	} {
		got, err := s.Held(ctx, tc.camera, tc.from, tc.to)
		if err != nil || got != tc.want {
			t.Errorf("Held(%s, %v..%v) = %v %v, want %v", tc.camera, tc.from, tc.to, got, err, tc.want)
		}
	}
	if err := s.AddHold(ctx, &Hold{Camera: "cam001", Start: t0, End: t0.Add(time.Hour)}); err == nil {
		t.Error("a hold without reason or author was accepted")
	}

	g := Gap{Camera: "cam001", Start: t0, End: t0.Add(90 * time.Second), Reason: "disk full"}
	if err := s.AddGap(ctx, &g); err != nil {
		t.Fatal(err)
	}
	gaps, err := s.Gaps(ctx, "cam001", t0.Add(time.Minute), t0.Add(time.Hour))
	if err != nil || len(gaps) != 1 || gaps[0].Reason != "disk full" || gaps[0].End.Sub(gaps[0].Start) != 90*time.Second {
		t.Fatalf("gaps: %+v %v", gaps, err)
	}
}

func TestMigratesAVersionOneDatabase(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	c := Camera{ID: "cam001", MainURL: "rtsp://x/y", Enabled: true, ManagedBy: ManagedByAPI}
	c.Normalize()
	if err := s.CreateCamera(ctx, &c); err != nil {
		t.Fatal(err)
	}
	// Roll the schema back to version 1 as issue 2 left it, then reopen.
	// Tables of migrations 5 to 9 go too (each before what it refers to).
	for _, table := range []string{"segments", "gaps", "holds", "deletions", "bookmarks", "walls",
		"camera_analytics", "analytics_events", "activity", "alert_rules", "alerts", "plate_reads", "watchlist",
		"deployment_events", "deployments", "camera_locations",
		"sessions", "download_links", "users", "api_tokens", "export_requests", "nodes", "camera_leases", "camera_status", "cluster_secret",
		"object_deletes", "clock_offsets"} {
		if _, err := s.db.Exec("DROP TABLE " + table); err != nil {
			t.Fatal(err)
		}
	}
	// The cameras table keeps version 1's columns (migration 12 adds some).
	for _, col := range []string{"onvif_url", "ptz_profile"} {
		if _, err := s.db.Exec("ALTER TABLE cameras DROP COLUMN " + col); err != nil {
			t.Fatal(err)
		}
	}
	s.db.Exec("PRAGMA user_version = 1")
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.GetCamera(ctx, "cam001"); err != nil {
		t.Fatalf("camera lost in migration: %v", err)
	}
	if _, err := s2.Segments(ctx, "cam001", time.Time{}, time.Time{}); err != nil {
		t.Fatalf("segments table after migration: %v", err)
	}
}
