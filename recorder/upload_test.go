package recorder_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
	"github.com/vigil-cctv/vigil/recorder/s3store"
	"github.com/vigil-cctv/vigil/recorder/s3store/s3test"
)

// Footage recorded from the simulator goes to a real S3 server (SeaweedFS)
// once its sealing is logged, and leaves the disk: the index says where,
// the bytes there are what was sealed, a snapshot is read from there, a
// file altered on disk is not uploaded, start-up reconciling does not take
// uploaded footage for lost, retention deletes expired objects (held
// footage stays), and while the store is down a deletion waits.
func TestSegmentsMoveToTheObjectStore(t *testing.T) {
	s3 := s3test.Start(t)
	objects := s3.Bucket(t, "recordings")
	r := newRig(t, 1)
	rec := r.recorder(t)
	r.recordAll(rec, 1)
	time.Sleep(7 * time.Second)
	rec.Close()
	ctx := context.Background()
	segs, err := r.store.Segments(ctx, "cam001", time.Time{}, time.Time{})
	if err != nil || len(segs) < 3 {
		t.Fatalf("%d segments: %v", len(segs), err)
	}
	// Every segment's sealing is logged but the last's (the custody feeder
	// notes each entry's seq so).
	for i, s := range segs[:len(segs)-1] {
		if err := r.store.SetSealedSeq(ctx, s.ID, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	m := recorder.NewUploadMetrics(nil)
	up := &recorder.Uploader{Store: r.store, Dir: r.dir, Objects: objects, Workers: 2, Metrics: m, Logger: quiet}
	res, err := up.Pass(ctx)
	if err != nil || res.Uploaded != len(segs)-1 {
		t.Fatalf("pass: %+v %v", res, err)
	}
	if got := testutil.ToFloat64(m.Backlog); got != 1 {
		t.Fatalf("backlog after the pass: %v (the unlogged segment)", got)
	}
	for _, s := range segs[:len(segs)-1] {
		now, err := r.store.SegmentByPath(ctx, s.Path)
		if err != nil || now.Object != objects.Object(s.Path) {
			t.Fatalf("%s indexed at %q: %v", s.Path, now.Object, err)
		}
		if _, err := os.Stat(filepath.Join(r.dir, filepath.FromSlash(s.Path))); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s still on disk after upload: %v", s.Path, err)
		}
		f, err := objects.Open(now.Object, now.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, f.Size())); err != nil || [32]byte(h.Sum(nil)) != s.SHA256 {
			t.Fatalf("%s in the store is not what was sealed: %v", s.Path, err)
		}
	}
	last := segs[len(segs)-1]
	lastPath := filepath.Join(r.dir, filepath.FromSlash(last.Path))
	if _, err := os.Stat(lastPath); err != nil {
		t.Fatalf("the unlogged segment left the disk: %v", err)
	}

	// A snapshot of uploaded footage is read from the store.
	rec2 := r.recorder(t)
	rec2.Open = func(s *store.Segment) (recorder.SegmentFile, error) {
		if s.Object == "" {
			return nil, errors.New("the test reads only uploaded footage")
		}
		return objects.Open(s.Object, s.Bytes)
	}
	if jpeg, _, err := rec2.Snapshot(ctx, "cam001", segs[0].Start.Add(time.Second), 160); err != nil || len(jpeg) < 500 {
		t.Fatalf("snapshot from the store: %d bytes, %v", len(jpeg), err)
	}

	// Start-up reconciling knows the uploaded footage is not lost.
	rr, err := rec2.Reconcile(ctx)
	if err != nil || len(rr.Missing) != 0 || rr.Indexed != 0 {
		t.Fatalf("reconcile: %+v %v", rr, err)
	}

	// An altered file is not uploaded, and stays on disk.
	b, err := os.ReadFile(lastPath)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(lastPath, b, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := r.store.SetSealedSeq(ctx, last.ID, uint64(len(segs))); err != nil {
		t.Fatal(err)
	}
	res, err = up.Pass(ctx)
	if err != nil || res.Altered != 1 || res.Uploaded != 0 {
		t.Fatalf("pass over an altered file: %+v %v", res, err)
	}
	if _, err := objects.Stat(ctx, objects.Object(last.Path)); !errors.Is(err, s3store.ErrNotFound) {
		t.Fatalf("the altered file reached the store: %v", err)
	}
	if got := testutil.ToFloat64(m.Errors.WithLabelValues("altered")); got != 1 {
		t.Fatalf("altered errors: %v", got)
	}
	// It is not waiting to go any more: given up on, not backlog.
	if b, age, g := testutil.ToFloat64(m.Backlog), testutil.ToFloat64(m.BacklogAge), testutil.ToFloat64(m.GivenUp); b != 0 || age != 0 || g != 1 {
		t.Fatalf("backlog %v (age %v s), given up %v; want 0, 0, 1", b, age, g)
	}

	// Retention, 40 days on: expired objects go, held footage stays.
	held := segs[1]
	h := store.Hold{Camera: "cam001", Start: held.Start, End: held.End, Reason: "crime ref 01/1/26", CreatedBy: "sup1",
		RequestedBy: "PC 1", ReviewAt: time.Now().Add(30 * 24 * time.Hour)}
	if err := r.store.AddHold(ctx, &h); err != nil {
		t.Fatal(err)
	}
	ret := &recorder.Retention{Store: r.store, Dir: r.dir, Objects: objects, Logger: quiet,
		Metrics: recorder.NewRetentionMetrics(nil), Now: func() time.Time { return time.Now().Add(40 * 24 * time.Hour) }}
	pr, err := ret.Pass(ctx)
	// The uploaded ones but the held one, and the altered one on disk.
	if err != nil || pr.Expired != len(segs)-1 || pr.HeldSkipped != 1 {
		t.Fatalf("retention: %+v %v", pr, err)
	}
	for _, s := range segs[:len(segs)-1] {
		_, err := objects.Stat(ctx, objects.Object(s.Path))
		if s.ID == held.ID && err != nil {
			t.Fatalf("held footage left the store: %v", err)
		}
		if s.ID != held.ID && !errors.Is(err, s3store.ErrNotFound) {
			t.Fatalf("%s still in the store after it expired: %v", s.Path, err)
		}
	}
	if q, _ := r.store.ObjectsToDelete(ctx, 10); len(q) != 0 {
		t.Fatalf("objects still queued for deletion: %v", q)
	}

	// The store goes down: the deletion of the footage released from its
	// hold waits in the queue, for the next pass.
	if _, err := r.store.RequestRelease(ctx, h.ID, "sgt.jones", "no further action"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.ConfirmRelease(ctx, h.ID, "dpo.khan"); err != nil {
		t.Fatal(err)
	}
	s3.Close()
	pr, err = ret.Pass(ctx)
	if err == nil || pr.Expired != 1 {
		t.Fatalf("retention with the store down: %+v %v", pr, err)
	}
	if q, _ := r.store.ObjectsToDelete(ctx, 10); len(q) != 1 || q[0] != objects.Object(held.Path) {
		t.Fatalf("queued with the store down: %v", q)
	}
	if testutil.ToFloat64(ret.Metrics.ObjectDeleteErrors) != 1 {
		t.Fatal("the failed deletion was not counted")
	}
}
