package analytics

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// streetClip is the simulator's default street (two cars crossing) at the
// sub stream's size.
func streetClip(t testing.TB) string {
	t.Helper()
	cfg := simtest.Config(t, 1)
	cfg.Sub = sim.StreamSpec{Width: 640, Height: 360, FPS: 5, GOP: 2 * time.Second, Bitrate: 512_000}
	cfg.ClipSeconds = 10
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	paths, err := sim.GenerateClips(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return paths[1]
}

// TestStreetHasMotionAndNoTamper runs the street scene for a minute: cars
// cross it all the time, so there is motion and activity, and nothing is
// tamper. Every Mat made is closed (with -tags matprofile).
func TestStreetHasMotionAndNoTamper(t *testing.T) {
	before := openMats()
	aus := clipAUs(t, streetClip(t))
	t0 := time.Date(2026, 3, 29, 0, 50, 0, 0, time.UTC)
	// Activity is written every 10 s of picture time (the clock of the
	// pictures, not the machine's: t0 is in the past).
	rec := runClip(t, aus, 5, 6, Config{FlushInterval: 10 * time.Second}, defaultSettings(), t0)

	motion := rec.kind(store.EventMotion, "")
	if len(motion) == 0 {
		t.Fatal("no motion events on a street with cars crossing")
	}
	for _, ev := range motion {
		if ev.End.IsZero() || ev.End.Before(ev.Start) {
			t.Errorf("event %+v is not closed properly", ev)
		}
		if len(ev.Thumbnail) < 100 {
			t.Errorf("event at %v has no thumbnail", ev.Start)
		}
	}
	for _, ev := range rec.events {
		if ev.Kind != store.EventMotion {
			t.Errorf("tamper event %s at %v on an untouched street", ev.Kind, ev.Start)
		}
	}
	frames, moving, flushes := 0, 0, 0
	for _, a := range rec.activity {
		if a.Zone == "" {
			frames += a.Frames
			moving += a.MotionFrames
			flushes++
		}
	}
	if flushes < 6 {
		t.Errorf("activity written %d times over 60 s of pictures, want one every 10 s", flushes)
	}
	if frames != 6*len(aus) {
		t.Errorf("activity counted %d pictures, want %d", frames, 6*len(aus))
	}
	if moving == 0 || moving == frames {
		t.Errorf("motion in %d of %d pictures: want some, not all", moving, frames)
	}
	if after := openMats(); after != before {
		t.Errorf("%d Mats left open", after-before)
	}
	t.Logf("%d motion events, motion in %d/%d pictures", len(motion), moving, frames)
}
