package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A segment uploaded to the object store leaves its node's disk: the
// index says where it is, the node's disk quota no longer counts it, any
// node may expire it (and logs that deletion itself), and its object is
// queued for deletion with the record.
func TestSegmentsInTheObjectStore(t *testing.T) { bothBackends(t, testSegmentsInTheObjectStore) }

func testSegmentsInTheObjectStore(t *testing.T) {
	a, target := openTemp(t)
	b, err := Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.SetNode("vigil-0")
	b.SetNode("vigil-1")
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	segs := fiveMinuteSegments(t, a, "cam001", t0, 3)

	// Only segments whose sealing is logged are uploaded.
	if up, err := a.SegmentsToUpload(ctx, 0, 10); err != nil || len(up) != 0 {
		t.Fatalf("to upload before logging: %+v %v", up, err)
	}
	for i, s := range segs {
		if err := a.SetSealedSeq(ctx, s.ID, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if up, _ := b.SegmentsToUpload(ctx, 0, 10); len(up) != 0 {
		t.Fatalf("vigil-1 would upload vigil-0's segments: %+v", up)
	}
	up, err := a.SegmentsToUpload(ctx, 0, 2)
	if err != nil || len(up) != 2 || up[0].ID != segs[0].ID {
		t.Fatalf("to upload: %+v %v", up, err)
	}
	if rest, _ := a.SegmentsToUpload(ctx, up[1].ID, 2); len(rest) != 1 || rest[0].ID != segs[2].ID {
		t.Fatalf("to upload after %d: %+v", up[1].ID, rest)
	}
	obj := "recordings/vigil/" + segs[0].Path
	if err := a.SetSegmentObject(ctx, segs[0].ID, obj); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.SegmentByPath(ctx, segs[0].Path); got.Object != obj || got.Node != "vigil-0" {
		t.Fatalf("uploaded segment: %+v", got)
	}
	if n, oldest, err := a.UploadBacklog(ctx, nil); err != nil || n != 2 || !oldest.Equal(segs[1].Start) {
		t.Fatalf("backlog: %d %v %v", n, oldest, err)
	}
	// A segment the uploader gave up on is left out.
	if n, oldest, err := a.UploadBacklog(ctx, map[int64]bool{segs[1].ID: true}); err != nil || n != 1 || !oldest.Equal(segs[2].Start) {
		t.Fatalf("backlog without the one given up on: %d %v %v", n, oldest, err)
	}
	if n, _ := a.RecordedBytes(ctx); n != 2*segs[0].Bytes {
		t.Fatalf("bytes on vigil-0's disk: %d", n)
	}
	if old, _ := a.OldestSegments(ctx, 0, 10); len(old) != 2 || old[0].ID != segs[1].ID {
		t.Fatalf("vigil-0's oldest on disk: %+v", old)
	}

	// vigil-1 expires the segment in the object store, not those on vigil-0's disk.
	if cams, _ := b.RecordedCameras(ctx); len(cams) != 1 {
		t.Fatalf("vigil-1's cameras to expire: %v", cams)
	}
	exp, err := b.SegmentsEndingBefore(ctx, "cam001", t0.Add(time.Hour), 10)
	if err != nil || len(exp) != 1 || exp[0].ID != segs[0].ID {
		t.Fatalf("vigil-1's expired: %+v %v", exp, err)
	}
	if err := b.DeleteSegment(ctx, exp[0], "retention", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if un, _ := b.UnloggedDeletions(ctx, 10); len(un) != 1 || un[0].Segment.Path != segs[0].Path {
		t.Fatalf("vigil-1's deletions to log: %+v", un)
	}
	if un, _ := a.UnloggedDeletions(ctx, 10); len(un) != 0 {
		t.Fatalf("vigil-0's deletions to log: %+v", un)
	}
	// The same deletion by vigil-0 (a race) finds the segment gone.
	if err := a.DeleteSegment(ctx, exp[0], "retention", t0.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second deletion: %v", err)
	}

	// A segment deleted while it was being uploaded: its object is queued too.
	if err := a.DeleteSegment(ctx, segs[1], "retention", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	late := "recordings/vigil/" + segs[1].Path
	if err := a.SetSegmentObject(ctx, segs[1].ID, late); !errors.Is(err, ErrNotFound) {
		t.Fatalf("object of a deleted segment: %v", err)
	}
	del, err := b.ObjectsToDelete(ctx, 10)
	if err != nil || len(del) != 2 || del[0] != obj || del[1] != late {
		t.Fatalf("objects to delete: %v %v", del, err)
	}
	if err := b.ObjectDeleted(ctx, obj); err != nil {
		t.Fatal(err)
	}
	if del, _ := a.ObjectsToDelete(ctx, 10); len(del) != 1 || del[0] != late {
		t.Fatalf("objects to delete after one went: %v", del)
	}
}
