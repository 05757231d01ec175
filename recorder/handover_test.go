package recorder_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
)

// A rebalance hands a camera from one node to another on a keyframe: the
// first node's last segment ends where the second's first begins, no gap
// is recorded and no frame is written twice. (One hub stands for both
// nodes' ingest of the same camera; each node has its own disk and store
// handle.)
func TestHandOffOnAKeyframe(t *testing.T) {
	r := newRig(t, 1)
	ctx := context.Background()
	nodeRec := func(node string) (*recorder.Recorder, *store.Store) {
		st, err := store.Open(filepath.Join(filepath.Dir(r.dir), "vigil.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		st.SetNode(node)
		rec := &recorder.Recorder{Dir: filepath.Join(filepath.Dir(r.dir), node), SegmentDuration: 2 * time.Second,
			SyncInterval: 500 * time.Millisecond, Store: st, Logger: quiet}
		if err := rec.Initialize(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rec.Close)
		return rec, st
	}
	a, _ := nodeRec("vigil-0")
	b, _ := nodeRec("vigil-1")
	hub := r.sup.Hub("cam001", ingest.StreamMain)
	a.Record("cam001", hub)
	time.Sleep(3 * time.Second)

	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cut := a.HandOff(hctx, "cam001")
	if cut.IsZero() {
		t.Fatal("no cut")
	}
	if got := a.Recording(); len(got) != 0 {
		t.Fatalf("vigil-0 still records %v after handing off", got)
	}
	b.TakeOver("cam001", hub, "rebalance: from vigil-0", cut)
	time.Sleep(3 * time.Second)
	b.Close()

	segs, err := r.store.Segments(ctx, "cam001", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for i, s := range segs {
		if s.Node == "vigil-0" {
			last = i
		}
	}
	if last < 0 || last == len(segs)-1 || segs[last+1].Node != "vigil-1" {
		t.Fatalf("segments: vigil-0's then vigil-1's expected: %+v", segs)
	}
	end, next := segs[last].End, segs[last+1].Start
	if d := next.Sub(end); d < -50*time.Millisecond || d > 50*time.Millisecond || next.Sub(cut).Abs() > time.Millisecond {
		t.Fatalf("vigil-0 ends at %v, vigil-1 begins at %v (cut %v)", end, next, cut)
	}
	if gaps, _ := r.store.Gaps(ctx, "cam001", time.Time{}, time.Time{}); len(gaps) != 0 {
		t.Fatalf("gaps at a hand-over: %+v", gaps)
	}
	// Nothing is on hand when the camera is not recorded.
	if cut := a.HandOff(ctx, "cam001"); !cut.IsZero() {
		t.Fatalf("hand-off of a camera not recorded: %v", cut)
	}
}
