package recorder

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/ingest/store"
)

type retentionRig struct {
	st  *store.Store
	dir string
	ret *Retention
	now time.Time
}

func newRetentionRig(t *testing.T) *retentionRig {
	t.Helper()
	root := t.TempDir()
	st, err := store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &retentionRig{st: st, dir: filepath.Join(root, "recordings"), now: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)}
	r.ret = &Retention{
		Store:   st,
		Dir:     r.dir,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: NewRetentionMetrics(nil),
		Now:     func() time.Time { return r.now },
	}
	return r
}

func (r *retentionRig) camera(t *testing.T, id string, days int) {
	c := store.Camera{ID: id, MainURL: "rtsp://x/" + id, RetentionDays: days, Enabled: true, ManagedBy: store.ManagedByAPI}
	c.Normalize()
	if err := r.st.CreateCamera(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
}

// record writes n one-hour segments of size bytes for a camera, the first
// starting at start, laid out as the recorder lays them out.
func (r *retentionRig) record(t *testing.T, camera string, start time.Time, n int, size int64) []store.Segment {
	t.Helper()
	var out []store.Segment
	for i := range n {
		s := start.Add(time.Duration(i) * time.Hour)
		rel := fmt.Sprintf("%s/%s/%s_%d.mp4", camera, s.Format("2006/01/02"), s.Format("20060102T150405Z"), i)
		path := filepath.Join(r.dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		data := make([]byte, size)
		if err := os.WriteFile(path, data, 0o640); err != nil {
			t.Fatal(err)
		}
		seg := store.Segment{Camera: camera, Start: s, End: s.Add(time.Hour), Path: rel, Bytes: size,
			SHA256: sha256.Sum256(data), StreamID: uuid.New(), Sequence: uint64(i), Frames: 90000}
		if err := r.st.AddSegment(context.Background(), &seg); err != nil {
			t.Fatal(err)
		}
		out = append(out, seg)
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestRetentionExpiresPerCameraAndKeepsHolds(t *testing.T) {
	r := newRetentionRig(t)
	ctx := context.Background()
	r.camera(t, "cam001", 31)
	r.camera(t, "cam002", 7)
	day := 24 * time.Hour
	old1 := r.record(t, "cam001", r.now.Add(-40*day), 3, 1000) // past 31 days
	new1 := r.record(t, "cam001", r.now.Add(-10*day), 2, 1000) // inside
	old2 := r.record(t, "cam002", r.now.Add(-10*day), 4, 1000) // past 7 days
	gone := r.record(t, "cam003", r.now.Add(-40*day), 1, 1000) // camera removed from the registry: default 31 days
	os.Remove(filepath.Join(r.dir, gone[0].Path))              // and its file deleted by hand

	// A legal hold over cam002's second hour.
	h := store.Hold{Camera: "cam002", Start: old2[1].Start.Add(10 * time.Minute), End: old2[1].Start.Add(20 * time.Minute),
		Reason: "crime ref 01/123456/26", CreatedBy: "pc.smith"}
	if err := r.st.AddHold(ctx, &h); err != nil {
		t.Fatal(err)
	}

	res, err := r.ret.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Expired != 3+3+1 || res.HeldSkipped != 1 || res.Bytes != 7000 {
		t.Fatalf("pass: %+v", res)
	}
	for _, s := range append(append(old1, old2[0], old2[2], old2[3]), gone...) {
		if exists(filepath.Join(r.dir, s.Path)) {
			t.Errorf("%s not deleted", s.Path)
		}
	}
	for _, s := range append(new1, old2[1]) {
		if !exists(filepath.Join(r.dir, s.Path)) {
			t.Errorf("%s deleted: it is inside retention or held", s.Path)
		}
	}
	// Every deletion is on record with its hash; the missing file says so.
	dels, _ := r.st.Deletions(ctx, "cam003", time.Time{}, time.Time{})
	if len(dels) != 1 || dels[0].Segment.SHA256 != gone[0].SHA256 || !strings.Contains(dels[0].Reason, "already missing") {
		t.Fatalf("deletion of a missing file: %+v", dels)
	}
	dels, _ = r.st.Deletions(ctx, "cam002", time.Time{}, time.Time{})
	if len(dels) != 3 || !strings.Contains(dels[0].Reason, "older than 7 days") {
		t.Fatalf("cam002 deletions: %+v", dels)
	}
	// Emptied day directories are gone; the recordings root stays.
	if exists(filepath.Join(r.dir, "cam003")) || !exists(r.dir) {
		t.Error("empty directories not removed, or the root removed")
	}
	if v := testutil.ToFloat64(r.ret.Metrics.DeletedBytes); v != 7000 {
		t.Errorf("vigil_retention_deleted_bytes_total = %v", v)
	}
	// A second pass finds nothing more.
	if res, _ := r.ret.Pass(ctx); res.Expired != 0 {
		t.Fatalf("second pass deleted %d", res.Expired)
	}
}

func TestRetentionMakesSpaceOldestFirst(t *testing.T) {
	r := newRetentionRig(t)
	ctx := context.Background()
	r.camera(t, "cam001", 31)
	r.camera(t, "cam002", 31)
	a := r.record(t, "cam001", r.now.Add(-6*time.Hour), 4, 1000)
	b := r.record(t, "cam002", r.now.Add(-5*time.Hour+time.Minute), 4, 1000)
	// The oldest segment of all is held.
	h := store.Hold{Camera: "cam001", Start: a[0].Start, End: a[0].End, Reason: "incident", CreatedBy: "dpo"}
	r.st.AddHold(ctx, &h)

	r.ret.QuotaBytes = 5000
	res, err := r.ret.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.ForSpace != 3 || res.HeldSkipped != 1 || res.SpaceBlocked {
		t.Fatalf("quota pass: %+v", res)
	}
	// Oldest first across cameras: a[1] (01h), b[0] (01h01), a[2] (02h).
	for _, s := range []store.Segment{a[1], b[0], a[2]} {
		if exists(filepath.Join(r.dir, s.Path)) {
			t.Errorf("%s kept; it was among the oldest", s.Path)
		}
	}
	for _, s := range []store.Segment{a[0], a[3], b[1], b[2], b[3]} {
		if !exists(filepath.Join(r.dir, s.Path)) {
			t.Errorf("%s deleted", s.Path)
		}
	}
	if n, _ := r.st.RecordedBytes(ctx); n != 5000 {
		t.Fatalf("recorded %d bytes after the quota pass, want 5000", n)
	}

	// A free-space target no deletion can meet: everything not held goes,
	// and the pass says the disk is blocked by held footage.
	r.ret.QuotaBytes = 0
	r.ret.MinFreeBytes = 1 << 62
	res, err = r.ret.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.SpaceBlocked || res.ForSpace != 4 || !exists(filepath.Join(r.dir, a[0].Path)) {
		t.Fatalf("impossible free-space target: %+v", res)
	}
	if v := testutil.ToFloat64(r.ret.Metrics.HeldBlocking); v != 1 {
		t.Errorf("vigil_retention_space_blocked = %v", v)
	}
	if v := testutil.ToFloat64(r.ret.Metrics.FreeBytes); v <= 0 {
		t.Errorf("vigil_storage_free_bytes = %v", v)
	}
}

func TestRetentionRunsAndStops(t *testing.T) {
	r := newRetentionRig(t)
	r.camera(t, "cam001", 1)
	segs := r.record(t, "cam001", r.now.Add(-3*24*time.Hour), 1, 10)
	r.ret.Interval = time.Hour
	r.ret.Initialize()
	deadline := time.Now().Add(5 * time.Second)
	for exists(filepath.Join(r.dir, segs[0].Path)) {
		if time.Now().After(deadline) {
			t.Fatal("the first pass did not run at start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.ret.Kick()
	r.ret.Close()
}
