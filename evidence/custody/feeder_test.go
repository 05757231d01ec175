package custody

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
)

func TestFeederLogsSealedAndDeletedOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := &locker.Log{Dir: filepath.Join(dir, "evidence"), Origin: "vigil.test/evidence", CreateKey: true, CheckpointInterval: -1}
	if err := log.Open(); err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	t0 := time.Date(2026, 10, 25, 0, 55, 0, 0, time.UTC)
	var segs []store.Segment
	for i := 0; i < 3; i++ {
		s := store.Segment{Camera: "cam001", Start: t0.Add(time.Duration(i) * time.Minute), End: t0.Add(time.Duration(i+1) * time.Minute),
			Path: filepath.ToSlash(filepath.Join("cam001", "x", string(rune('a'+i))+".mp4")), Bytes: int64(1000 + i),
			StreamID: uuid.New(), Sequence: uint64(i), Frames: 1500}
		s.SHA256[0] = byte(i + 1)
		if err := st.AddSegment(ctx, &s); err != nil {
			t.Fatal(err)
		}
		segs = append(segs, s)
	}
	f := &Feeder{Store: st, Log: log, Logger: slog.New(slog.DiscardHandler)}
	if n, err := f.Sync(ctx); err != nil || n != 3 {
		t.Fatalf("sync: %d %v", n, err)
	}
	if n, err := f.Sync(ctx); err != nil || n != 0 {
		t.Fatalf("second sync logged again: %d %v", n, err)
	}
	got, _ := st.Segments(ctx, "cam001", time.Time{}, time.Time{})
	for i, s := range got {
		e, _, err := log.ReadEntry(s.SealedSeq)
		if err != nil {
			t.Fatal(err)
		}
		if e.Action != evidence.ActionSegmentSealed || e.ObjectSHA256 != segs[i].SHA256 || e.ObjectBytes != segs[i].Bytes ||
			!e.From.Equal(segs[i].Start) || !e.To.Equal(segs[i].End) || e.Ref != segs[i].Path || e.Camera != "cam001" {
			t.Fatalf("sealed entry %+v for %+v", e, segs[i])
		}
	}
	if err := st.DeleteSegment(ctx, got[0], "retention period of 31 days passed", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Sync(ctx); err != nil || n != 1 {
		t.Fatalf("tombstone: %d %v", n, err)
	}
	e, _, _ := log.ReadEntry(log.Size() - 1)
	if e.Action != evidence.ActionSegmentDeleted || e.ObjectSHA256 != segs[0].SHA256 || e.Reason == "" {
		t.Fatalf("tombstone %+v", e)
	}
}
