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
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root (make test and CI run as root)")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "recordings")
	os.MkdirAll(dir, 0o750)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })

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
	if v := testutil.ToFloat64(m.GapSecs.WithLabelValues("cam001", "disk_full")); v <= 0 {
		t.Errorf("vigil_recorder_gap_seconds_total{reason=disk_full} = %v", v)
	}
}
