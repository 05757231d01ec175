package playback

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
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

// recordCamera records one simulated camera (320x180, 25 fps, 1 s GOP, 2 s
// segments) through real ingest: 5 s, then the camera refuses connections
// for 2 s, 4 s more, then the recorder stops for 1.5 s and records 3 s.
func recordCamera(t *testing.T) (*store.Store, string) {
	t.Helper()
	st, dir := openStore(t)
	s := simtest.Start(t, 1)
	sup := &ingest.Supervisor{
		Source:   rtsp.Read,
		Defaults: ingest.Defaults{Transport: "tcp", ReadTimeout: 3 * time.Second, Backoff: ingest.Backoff{Min: 200 * time.Millisecond, Max: time.Second}},
		Outages:  st,
		Metrics:  ingest.NewMetrics(nil),
		Logger:   quiet,
	}
	sup.Initialize()
	t.Cleanup(sup.Close)
	cam := sim.CameraName(1)
	sup.Upsert(ingest.Camera{ID: cam, Enabled: true, Main: ingest.Target{URL: s.URL(1, "main")}})
	run := func(d time.Duration, during func()) {
		rec := &recorder.Recorder{Dir: dir, SegmentDuration: 2 * time.Second, SyncInterval: 500 * time.Millisecond, Store: st, Logger: quiet}
		if err := rec.Initialize(); err != nil {
			t.Fatal(err)
		}
		rec.Record(cam, sup.Hub(cam, ingest.StreamMain))
		time.Sleep(d)
		if during != nil {
			during()
		}
		rec.Close()
	}
	run(5*time.Second, func() {
		s.SetFault(cam, sim.Fault{Refuse: true})
		time.Sleep(2 * time.Second)
		s.ClearFault(cam)
		time.Sleep(4 * time.Second)
	})
	time.Sleep(1500 * time.Millisecond)
	run(3*time.Second, nil)
	return st, dir
}

// expected reads the segments of r with the segment package and lists the
// wall times of the samples playback should give: from the latest keyframe
// at or before From up to To.
func expected(t *testing.T, dir string, r *Range) []time.Time {
	t.Helper()
	var all []segment.Sample
	for _, s := range r.Segments {
		data, err := os.ReadFile(filepath.Join(dir, s.Path))
		if err != nil {
			t.Fatal(err)
		}
		idx, err := segment.Scan(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for i := range idx.Fragments {
			ss, err := segment.ReadSamples(bytes.NewReader(data), idx, i)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, ss...)
		}
	}
	first := 0
	for i, s := range all {
		if s.Wall.After(r.From) {
			break
		}
		if s.Keyframe {
			first = i
		}
	}
	var out []time.Time
	for _, s := range all[first:] {
		if !s.Wall.Before(r.To) {
			break
		}
		out = append(out, s.Wall)
	}
	return out
}

func TestPlaybackOfRecordedFootage(t *testing.T) {
	if testing.Short() {
		t.Skip("records a simulated camera for 16 s")
	}
	ctx := context.Background()
	st, dir := recordCamera(t)
	segs, err := st.Segments(ctx, "cam001", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	gaps, err := st.Gaps(ctx, "cam001", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	streams := map[[16]byte]bool{}
	for _, s := range segs {
		streams[s.StreamID] = true
	}
	if len(gaps) != 2 || len(streams) < 2 {
		t.Fatalf("recording: %d segments of %d streams, gaps %+v", len(segs), len(streams), gaps)
	}

	t.Logf("recorded %d segments of %d streams; gaps %+v", len(segs), len(streams), gaps)
	p := &Player{Dir: dir}
	check := func(name string, from, to time.Time) {
		t.Helper()
		r := plan(t, st, "cam001", from, to)
		want := expected(t, dir, r)
		var b bytes.Buffer
		if err := p.WriteFMP4(ctx, &b, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := readFMP4(t, b.Bytes())
		out.checkTimeline(t)
		if len(out.samples) != len(want) {
			t.Fatalf("%s: %d frames, want %d", name, len(out.samples), len(want))
		}
		for i, s := range out.samples {
			if !s.Wall.Equal(want[i]) {
				t.Fatalf("%s: frame %d at %v, want %v", name, i, s.Wall, want[i])
			}
		}
		// The timeline is wall time where footage restarts (tolerance: the
		// camera PTS and wall clocks of one session drift apart a little).
		last := out.samples[len(out.samples)-1]
		if d := last.PTS() - last.Wall.Sub(out.samples[0].Wall); d < -100*time.Millisecond || d > 100*time.Millisecond {
			t.Fatalf("%s: last frame plays at %v, %v after the first by the clock", name, last.PTS(), last.Wall.Sub(out.samples[0].Wall))
		}
		// Sum of frames in range, give or take the pre-roll GOP.
		inRange := 0
		for _, s := range r.Segments {
			if !s.Start.Before(from) && !s.End.After(to) {
				inRange += s.Frames
			}
		}
		if len(out.samples) < inRange {
			t.Fatalf("%s: %d frames, %d in whole segments in range", name, len(out.samples), inRange)
		}
		if _, dur := probe(t, b.Bytes()); dur < last.PTS()-time.Second {
			t.Fatalf("%s: ffprobe says the fMP4 lasts %v", name, dur)
		}

		b.Reset()
		if err := p.WriteMP4(ctx, &b, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		frames, dur := probe(t, b.Bytes())
		end := last.PTS() + 40*time.Millisecond
		if frames != len(want) || dur < end-100*time.Millisecond || dur > end+100*time.Millisecond {
			t.Fatalf("%s: MP4 of %d frames in %v, want %d in %v", name, frames, dur, len(want), end)
		}
		t.Logf("%s: %d segments, %d gaps, %d frames (%d in whole segments), MP4 %v", name, len(r.Segments), len(r.Gaps), frames, inRange, dur)
	}
	// Across the boundary of the first two segments, mid-GOP.
	check("segment boundary", segs[0].End.Add(-1300*time.Millisecond), segs[1].Start.Add(1500*time.Millisecond))
	// Everything: the outage (a new session), the recorder restart.
	check("gap and restarts", segs[0].Start.Add(500*time.Millisecond), segs[len(segs)-1].End)
}
