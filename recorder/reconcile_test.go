package recorder_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigil-cctv/vigil/recorder/segment"
)

// unindex removes a segment's row as if the process died before sealing it.
func unindex(t *testing.T, dbPath, rel string) {
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM segments WHERE path = $1`, rel); err != nil {
		t.Fatal(err)
	}
}

func TestReconcileAfterACrash(t *testing.T) {
	r := newRig(t, 1)
	rec := r.recorder(t)
	r.recordAll(rec, 1)
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if segs, _ := r.store.Segments(ctx, "cam001", time.Time{}, time.Time{}); len(segs) >= 3 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	rec.Close()
	segs, _ := r.store.Segments(ctx, "cam001", time.Time{}, time.Time{})
	if len(segs) < 3 {
		t.Fatalf("%d segments recorded", len(segs))
	}
	dbPath := filepath.Join(filepath.Dir(r.dir), "vigil.db")
	last := segs[1] // a full segment (the newest may have stopped early)
	lastPath := filepath.Join(r.dir, filepath.FromSlash(last.Path))

	// The crash: the last segment was never sealed, and its final fragment
	// is torn half-way.
	data, _ := os.ReadFile(lastPath)
	f, _ := os.Open(lastPath)
	idx, err := segment.Scan(f, int64(len(data)))
	f.Close()
	if err != nil || len(idx.Fragments) < 2 {
		t.Fatalf("scan: %v, %d fragments", err, len(idx.Fragments))
	}
	lastFrag := idx.Fragments[len(idx.Fragments)-1]
	os.Truncate(lastPath, lastFrag.Offset+lastFrag.Size/2)
	unindex(t, dbPath, last.Path)

	// An orphan copy, a file with only a header, one cut inside its header,
	// garbage, and an indexed file deleted by hand.
	dayDir := filepath.Dir(lastPath)
	copyPath := filepath.Join(dayDir, "20260101T000000.000Z_0.mp4")
	os.WriteFile(copyPath, data, 0o640)
	initOnly := filepath.Join(dayDir, "20260101T000001.000Z_0.mp4")
	os.WriteFile(initOnly, data[:idx.InitSize], 0o640)
	cutInit := filepath.Join(dayDir, "20260101T000002.000Z_0.mp4")
	os.WriteFile(cutInit, data[:idx.InitSize/2], 0o640)
	garbage := filepath.Join(dayDir, "notes.mp4")
	os.WriteFile(garbage, []byte(strings.Repeat("not a video ", 100)), 0o640)
	os.Remove(filepath.Join(r.dir, filepath.FromSlash(segs[0].Path)))

	rec2 := r.recorder(t)
	res, err := rec2.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 2 || res.Repaired != 1 {
		t.Errorf("indexed %d (repaired %d), want the torn segment and the orphan copy", res.Indexed, res.Repaired)
	}
	if res.Empty != 2 || fileExists(initOnly) || fileExists(cutInit) {
		t.Errorf("empty files: %d removed, header-only exists %v, cut header exists %v", res.Empty, fileExists(initOnly), fileExists(cutInit))
	}
	if len(res.Bad) != 1 || !fileExists(garbage) {
		t.Errorf("garbage: %v (must be reported and left in place)", res.Bad)
	}
	if len(res.Missing) != 1 || res.Missing[0] != segs[0].Path {
		t.Errorf("missing: %v", res.Missing)
	}

	// The torn segment is back in the index, cut at its last complete
	// fragment, and everything before it is still listed.
	repaired, err := r.store.SegmentByPath(ctx, last.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !repaired.Repaired || repaired.End.After(last.End) || repaired.Frames >= last.Frames || repaired.Frames == 0 {
		t.Errorf("repaired segment: %+v (was %+v)", repaired, last)
	}
	if st, _ := os.Stat(lastPath); st.Size() != lastFrag.Offset {
		t.Errorf("repaired file is %d bytes, want cut at %d", st.Size(), lastFrag.Offset)
	}
	after, _ := r.store.Segments(ctx, "cam001", time.Time{}, time.Time{})
	if len(after) != len(segs)+1-1 { // the orphan copy added, the missing one removed
		t.Errorf("%d segments after reconcile, want %d", len(after), len(segs))
	}
	// The missing file is on record as a deletion and a gap.
	dels, _ := r.store.Deletions(ctx, "cam001", time.Time{}, time.Time{})
	gaps, _ := r.store.Gaps(ctx, "cam001", segs[0].Start, segs[0].End)
	if len(dels) != 1 || dels[0].Segment.SHA256 != segs[0].SHA256 || len(gaps) != 1 || !strings.Contains(gaps[0].Reason, "missing") {
		t.Errorf("missing file not on record: deletions %+v gaps %+v", dels, gaps)
	}
	// A second reconcile finds nothing to do.
	res, _ = rec2.Reconcile(ctx)
	if res.Indexed+res.Empty+len(res.Missing) != 0 {
		t.Errorf("second reconcile: %+v", res)
	}
	rec2.Close()
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
