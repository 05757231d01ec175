package recorder_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
)

// TestDiskFullRecoversAndRecordsTheGap records onto a real 1.5 MiB tmpfs
// until it is full: the write fails with ENOSPC, retention frees the
// oldest footage, recording resumes, and the lost span is a "disk full" gap.
func TestDiskFullRecoversAndRecordsTheGap(t *testing.T) {
	root, dir := mountTmpfs(t, "1536k")

	st, err := store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// A 3 Mbit/s camera fills 1.5 MiB in about four seconds.
	s := simtest.Start(t, 1, func(c *sim.Config) { c.Main.Bitrate = 3_000_000 })
	sup := &ingest.Supervisor{
		Source:   rtsp.Read,
		Defaults: ingest.Defaults{Transport: "tcp", ReadTimeout: 3 * time.Second, Backoff: ingest.Backoff{Min: 200 * time.Millisecond, Max: time.Second}},
		Metrics:  ingest.NewMetrics(nil),
		Logger:   quiet,
	}
	sup.Initialize()
	t.Cleanup(sup.Close)
	sup.Upsert(ingest.Camera{ID: "cam001", Enabled: true, Main: ingest.Target{URL: s.URL(1, "main")}})

	// Retention runs only when the recorder kicks it, so the disk really
	// fills before anything is freed.
	ret := &recorder.Retention{Store: st, Dir: dir, MinFreeBytes: 600 << 10, Interval: time.Hour,
		Logger: quiet, Metrics: recorder.NewRetentionMetrics(nil)}
	ret.Initialize()
	t.Cleanup(ret.Close)
	m := recorder.NewMetrics(nil)
	rec := &recorder.Recorder{Dir: dir, SegmentDuration: 2 * time.Second, SyncInterval: 500 * time.Millisecond,
		Store: st, Retention: ret, Metrics: m, Logger: quiet}
	if err := rec.Initialize(); err != nil {
		t.Fatal(err)
	}
	rec.Record("cam001", sup.Hub("cam001", ingest.StreamMain))

	ctx := context.Background()
	var gaps []store.Gap
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		gaps, _ = st.Gaps(ctx, "cam001", time.Time{}, time.Time{})
		if len(gaps) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Let recording run on after the gap, then stop.
	time.Sleep(3 * time.Second)
	if v := testutil.ToFloat64(m.GapSecs.WithLabelValues("cam001", "disk_full")); v <= 0 {
		t.Errorf("vigil_recorder_gap_seconds_total{reason=disk_full} = %v", v)
	}
	rec.Close()

	gaps, _ = st.Gaps(ctx, "cam001", time.Time{}, time.Time{})
	if len(gaps) == 0 || gaps[0].Reason != "disk full" {
		t.Fatalf("gaps: %+v; want one for the full disk", gaps)
	}
	dels, _ := st.Deletions(ctx, "cam001", time.Time{}, time.Time{})
	if len(dels) == 0 || !strings.Contains(dels[0].Reason, "disk space") {
		t.Fatalf("deletions: %+v; retention should have freed the oldest footage", dels)
	}
	// Recording resumed after the gap, and what is on disk is indexed and whole.
	segs, _ := st.Segments(ctx, "cam001", gaps[0].End, time.Time{})
	if len(segs) == 0 {
		t.Fatal("no footage after the disk-full gap: recording did not resume")
	}
	for _, sg := range segs {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(sg.Path))); err != nil {
			t.Fatalf("indexed segment missing: %v", err)
		}
	}
}

// mountTmpfs mounts a tmpfs of the given size as root/recordings.
func mountTmpfs(t *testing.T, size string) (root, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (make test and CI run as root)")
	}
	root = t.TempDir()
	dir = filepath.Join(root, "recordings")
	os.MkdirAll(dir, 0o750)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return root, dir
}

// TestReadOnlyDirectoryIsAGapNotACrash remounts the recordings read-only
// while recording, then read-write: the failure is a gap naming the cause,
// and recording resumes by itself.
func TestReadOnlyDirectoryIsAGapNotACrash(t *testing.T) {
	root, dir := mountTmpfs(t, "64m")
	r := newRig(t, 1)
	r.dir = dir
	st, err := store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.store = st
	rec := r.recorder(t)
	r.recordAll(rec, 1)
	time.Sleep(2500 * time.Millisecond)
	rec.Close() // a filesystem with files open for writing cannot go read-only

	remount := func(mode string) {
		if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
			t.Fatalf("remount %s: %v %s", mode, err, out)
		}
	}
	remount("ro")
	rec = r.recorder(t)
	r.recordAll(rec, 1)
	time.Sleep(3 * time.Second)
	remount("rw")

	ctx := context.Background()
	var gaps []store.Gap
	deadline := time.Now().Add(20 * time.Second)
	for len(gaps) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		gaps, _ = st.Gaps(ctx, "cam001", time.Time{}, time.Time{})
	}
	time.Sleep(time.Second)
	rec.Close()
	if len(gaps) != 1 || !strings.Contains(gaps[0].Reason, "read-only file system") {
		t.Fatalf("gaps: %+v; want one write error naming the read-only file system", gaps)
	}
	if d := gaps[0].End.Sub(gaps[0].Start); d < 2*time.Second || d > 10*time.Second {
		t.Fatalf("gap of %v for 3 s read-only", d)
	}
	if segs, _ := st.Segments(ctx, "cam001", gaps[0].End, time.Time{}); len(segs) == 0 {
		t.Fatal("recording did not resume after the remount")
	}
}
