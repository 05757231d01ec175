package recorder_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type rig struct {
	sim   *sim.Server
	store *store.Store
	sup   *ingest.Supervisor
	dir   string
}

// newRig runs n simulated cameras through real ingest into a real store.
func newRig(t *testing.T, n int) *rig {
	t.Helper()
	root := t.TempDir()
	st, err := store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := simtest.Start(t, n)
	sup := &ingest.Supervisor{
		Source:   rtsp.Read,
		Defaults: ingest.Defaults{Transport: "tcp", ReadTimeout: 3 * time.Second, Backoff: ingest.Backoff{Min: 200 * time.Millisecond, Max: time.Second}},
		Outages:  st,
		Metrics:  ingest.NewMetrics(nil),
		Logger:   quiet,
	}
	sup.Initialize()
	t.Cleanup(sup.Close)
	for i := 1; i <= n; i++ {
		sup.Upsert(ingest.Camera{ID: sim.CameraName(i), Enabled: true, Main: ingest.Target{URL: s.URL(i, "main")}})
	}
	return &rig{sim: s, store: st, sup: sup, dir: filepath.Join(root, "recordings")}
}

func (r *rig) recorder(t *testing.T) *recorder.Recorder {
	t.Helper()
	rec := &recorder.Recorder{
		Dir: r.dir, SegmentDuration: 2 * time.Second, SyncInterval: 500 * time.Millisecond,
		Store: r.store, Logger: quiet,
	}
	if err := rec.Initialize(); err != nil {
		t.Fatal(err)
	}
	return rec
}

func (r *rig) recordAll(rec *recorder.Recorder, n int) {
	for i := 1; i <= n; i++ {
		rec.Record(sim.CameraName(i), r.sup.Hub(sim.CameraName(i), ingest.StreamMain))
	}
}

func TestRecordsContiguousIndexedSegments(t *testing.T) {
	r := newRig(t, 2)
	rec := r.recorder(t)
	r.recordAll(rec, 2)
	time.Sleep(7 * time.Second)
	rec.Close()

	ctx := context.Background()
	for _, cam := range []string{"cam001", "cam002"} {
		segs, err := r.store.Segments(ctx, cam, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(segs) < 2 {
			t.Fatalf("%s: %d segments in 7 s of 2 s segments", cam, len(segs))
		}
		for i, s := range segs {
			path := filepath.Join(r.dir, filepath.FromSlash(s.Path))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if sha256.Sum256(data) != s.SHA256 || int64(len(data)) != s.Bytes {
				t.Fatalf("%s: index hash/size do not match the file", s.Path)
			}
			if want := cam + "/" + s.Start.Format("2006/01/02") + "/"; !strings.HasPrefix(s.Path, want) {
				t.Fatalf("layout: %s, want under %s", s.Path, want)
			}
			idx, err := segment.Scan(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if idx.Torn || len(idx.Fragments) == 0 || !idx.Fragments[0].Keyframe {
				t.Fatalf("%s: torn=%v fragments=%d", s.Path, idx.Torn, len(idx.Fragments))
			}
			if idx.StreamID != s.StreamID || idx.Sequence != uint64(i) {
				t.Fatalf("%s: stream %v seq %d, index says %v %d", s.Path, idx.StreamID, idx.Sequence, s.StreamID, i)
			}
			// Contiguous: each segment starts where the previous ended.
			if i > 0 {
				if d := s.Start.Sub(segs[i-1].End); d < -50*time.Millisecond || d > 50*time.Millisecond {
					t.Fatalf("%s starts %v after the previous segment ends", s.Path, d)
				}
			}
			// Segments close on the first keyframe after 2 s of camera time (1 s
			// GOP; wall time from sender reports may differ by a few ms;
			// a keyframe lost to packet loss on a busy machine adds a GOP).
			if dur := s.End.Sub(s.Start); i < len(segs)-1 && (dur < 1900*time.Millisecond || dur > 4100*time.Millisecond) {
				t.Fatalf("%s lasts %v", s.Path, dur)
			}
		}
		// A player opens what we wrote.
		first := filepath.Join(r.dir, filepath.FromSlash(segs[0].Path))
		// Packets, not decoded frames: a frame damaged by packet loss on a
		// busy machine is recorded (it is footage) but may not decode.
		out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
			"-show_entries", "stream=nb_read_packets,width,height", "-of", "csv=p=0", first).CombinedOutput()
		if err != nil {
			t.Fatalf("ffprobe %s: %v %s", first, err, out)
		}
		f := strings.Split(strings.TrimSpace(string(out)), ",")
		if len(f) != 3 || f[0] != "320" || f[1] != "180" {
			t.Fatalf("ffprobe: %q", out)
		}
		if n, _ := strconv.Atoi(f[2]); n != segs[0].Frames || n < 50 {
			t.Fatalf("ffprobe counts %s frames, index %d", f[2], segs[0].Frames)
		}
	}
	if gaps, _ := r.store.Gaps(ctx, "cam001", time.Time{}, time.Time{}); len(gaps) != 0 {
		t.Fatalf("gaps on a clean run: %+v", gaps)
	}
}

func TestCameraOutageAndRestartBecomeGaps(t *testing.T) {
	r := newRig(t, 1)
	rec := r.recorder(t)
	r.recordAll(rec, 1)
	time.Sleep(2500 * time.Millisecond)

	// The camera dies for ~2 s.
	killed := time.Now()
	r.sim.SetFault("cam001", sim.Fault{Refuse: true})
	time.Sleep(2 * time.Second)
	r.sim.ClearFault("cam001")
	// The gap is recorded when footage resumes.
	ctx := context.Background()
	var gaps []store.Gap
	deadline := time.Now().Add(15 * time.Second)
	for len(gaps) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		gaps, _ = r.store.Gaps(ctx, "cam001", time.Time{}, time.Time{})
	}
	time.Sleep(time.Second)
	rec.Close()
	gaps, err := r.store.Gaps(ctx, "cam001", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || !strings.Contains(gaps[0].Reason, "camera offline") {
		t.Fatalf("gaps after an outage: %+v", gaps)
	}
	g := gaps[0]
	if d := g.End.Sub(g.Start); d < 1500*time.Millisecond || d > 5*time.Second {
		t.Fatalf("gap lasts %v for a 2 s outage", d)
	}
	if g.Start.Before(killed.Add(-time.Second)) || g.Start.After(killed.Add(time.Second)) {
		t.Fatalf("gap starts %v, camera killed at %v", g.Start, killed)
	}

	// The service stops for a while and starts again: that is a gap too.
	time.Sleep(1500 * time.Millisecond)
	rec2 := r.recorder(t)
	r.recordAll(rec2, 1)
	time.Sleep(2 * time.Second)
	rec2.Close()
	gaps, _ = r.store.Gaps(ctx, "cam001", time.Time{}, time.Time{})
	if len(gaps) != 2 || !strings.Contains(gaps[1].Reason, "recorder not running") || gaps[1].End.Sub(gaps[1].Start) < time.Second {
		t.Fatalf("gaps after a restart: %+v", gaps)
	}
	// Footage and gaps tile the timeline with no overlap.
	segs, _ := r.store.Segments(ctx, "cam001", time.Time{}, time.Time{})
	for _, g := range gaps {
		for _, s := range segs {
			if s.Start.Before(g.End) && g.Start.Before(s.End) {
				t.Fatalf("gap %v-%v overlaps segment %v-%v", g.Start, g.End, s.Start, s.End)
			}
		}
	}
}

// TestCameraClockJumpLosesNothing: the camera's RTP clock jumps ten minutes;
// ingest rebases it and flags the frame, and the recorder reports the jump
// and records on in the same segment: no frame lost, no gap.
func TestCameraClockJumpLosesNothing(t *testing.T) {
	r := newRig(t, 1)
	rec := r.recorder(t)
	rec.SegmentDuration = time.Minute
	r.recordAll(rec, 1)
	time.Sleep(2500 * time.Millisecond)
	r.sim.SetFault("cam001", sim.Fault{JumpBy: 10 * time.Minute})
	time.Sleep(3 * time.Second)
	rec.Close()

	ctx := context.Background()
	segs, _ := r.store.Segments(ctx, "cam001", time.Time{}, time.Time{})
	if len(segs) != 1 {
		t.Fatalf("%d segments; the jump must not cut the recording", len(segs))
	}
	// About 5.5 s at 25 fps, with nothing missing at the jump.
	span := segs[0].End.Sub(segs[0].Start)
	if span > 10*time.Second || float64(segs[0].Frames) < span.Seconds()*25*0.95 {
		t.Fatalf("segment of %v with %d frames: the jump lost frames or leaked into wall time", span, segs[0].Frames)
	}
	if gaps, _ := r.store.Gaps(ctx, "cam001", time.Time{}, time.Time{}); len(gaps) != 0 {
		t.Fatalf("a clock jump is not a gap in footage: %+v", gaps)
	}
}
