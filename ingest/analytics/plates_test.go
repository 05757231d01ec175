package analytics

import (
	"bytes"
	"image/jpeg"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
	"github.com/vigil-cctv/vigil/ingest/decode"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// TestPlatesSceneOneReadPerPassage plays the simulator's plates scene (the
// sub stream: 640x360, 5 pictures a second) through the analyser and the
// plate stage, as the pump does, twice; the second loop is scored (the
// first teaches the background model): each passage gives one read, of the
// right plate, timed inside the passage.
func TestPlatesSceneOneReadPerPassage(t *testing.T) {
	before := openMats()
	spec := sim.DefaultConfig().Sub
	path, truth := simtest.Scene(t, sim.ScenePlates, spec)
	t0 := time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC)
	rec, _ := playPlates(t, clipAUs(t, path), nil, spec.FPS, t0)
	right, extra := scorePassages(t, truth, rec.plates, t0.Add(loopOf(truth)))
	if recall := float64(right) / float64(len(truth.Passages)); recall < 0.9 || extra > 1 {
		t.Errorf("passages read right %.0f%% (want >= 90%%), other reads %d (want <= 1)", 100*recall, extra)
	}
	for _, r := range rec.plates {
		if len(r.Crop) == 0 || len(r.Thumbnail) == 0 || r.Frames < 2 {
			t.Errorf("read of %s has crop %d bytes, thumbnail %d bytes, %d frames", r.Text, len(r.Crop), len(r.Thumbnail), r.Frames)
		}
	}
	if after := openMats(); after != before {
		t.Errorf("%d Mats left open", after-before)
	}
}

// TestPlatesMainStreamLooks plays the plates scene with an analysed stream
// of 320x180, where the far half of each passage has characters 6 to 9 px
// high (too small to read), and a main stream twice as large: its
// keyframes are read where the analysed stream saw small plates, and the
// passages are read better than from the analysed stream alone.
func TestPlatesMainStreamLooks(t *testing.T) {
	before := openMats()
	subSpec := sim.StreamSpec{Width: 192, Height: 108, FPS: 5, GOP: 2 * time.Second, Bitrate: 128_000}
	mainSpec := sim.StreamSpec{Width: 640, Height: 360, FPS: 5, GOP: time.Second, Bitrate: 512_000}
	subPath, truth := simtest.Scene(t, sim.ScenePlates, subSpec)
	mainPath, _ := simtest.Scene(t, sim.ScenePlates, mainSpec)
	subAUs, mainAUs := clipAUs(t, subPath), clipAUs(t, mainPath)
	t0 := time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC)
	from := t0.Add(loopOf(truth))

	alone, _ := playPlates(t, subAUs, nil, subSpec.FPS, t0)
	rightAlone, _ := scorePassages(t, truth, alone.plates, from)
	with, looks := playPlates(t, subAUs, mainAUs, subSpec.FPS, t0)
	right, extra := scorePassages(t, truth, with.plates, from)
	t.Logf("%dx%d alone: %d of %d passages read right; with the %dx%d main stream's keyframes: %d (%d looks in 2 loops), %d other reads",
		subSpec.Width, subSpec.Height, rightAlone, len(truth.Passages), mainSpec.Width, mainSpec.Height, right, looks, extra)
	if recall := float64(right) / float64(len(truth.Passages)); recall < 0.9 || extra > 1 || right <= rightAlone {
		t.Errorf("with main-stream looks %d of %d read right (want >= 90%% and more than %d alone), other reads %d (want <= 1)",
			right, len(truth.Passages), rightAlone, extra)
	}
	// Most reads' plate crops (their surest frame's) come from the main
	// stream: a plate in the 108-line picture is at most 12 lines high,
	// its crop 20.
	fromMain := 0
	for _, r := range with.plates {
		img, err := jpeg.Decode(bytes.NewReader(r.Crop))
		if err != nil {
			t.Errorf("read %s: crop: %v", r.Text, err)
		} else if img.Bounds().Dy() >= 24 {
			fromMain++
		}
	}
	if fromMain*4 < len(with.plates)*3 {
		t.Errorf("%d of %d reads have their crop from the main stream; want at least three quarters", fromMain, len(with.plates))
	}
	// Looks are bounded: at most one a keyframe, and not where nothing small was seen.
	if keyframes := 2 * countKeyframes(mainAUs); looks == 0 || looks > keyframes*3/4 {
		t.Errorf("%d main-stream looks in %d keyframes: want some, and not every one (only where small plates were seen)", looks, keyframes)
	}
	if after := openMats(); after != before {
		t.Errorf("%d Mats left open", after-before)
	}
}

// playPlates decodes the sub clip twice at fps, with wall times from t0,
// through an analyser and a plate stage as the pump does; with a main clip
// (same scene and rate), the main stream's access units go into a hub as
// they would arrive (each before the analysed picture of its time), and
// the plate stage looks at its keyframes. It returns what was recorded and
// the number of main-stream keyframes decoded.
func playPlates(t *testing.T, sub, main [][][]byte, fps int, t0 time.Time) (*recorded, int) {
	t.Helper()
	rec := &recorded{}
	cfg := Config{}
	cfg.defaults()
	dec, err := decode.NewForAnalysis()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	an := newAnalyser("cam001", cfg, defaultSettings(), rec.out, rec.gauge)
	plates, err := newPlateStage("cam001", "gb", rec.out)
	if err != nil {
		t.Fatal(err)
	}
	hub := &ingest.Hub{Camera: "cam001", Stream: ingest.StreamMain}
	looks := 0
	if main != nil {
		plates.main = newMainLook(func() *ingest.Hub { return hub }, func() { looks++ })
	}
	frame := time.Second / time.Duration(fps)
	session := &ingest.Session{}
	at, next := t0, 0               // next: the main-stream access unit to publish, over both loops
	publish := func(at time.Time) { // the main stream's access units up to at, as they would arrive
		for ; main != nil && t0.Add(time.Duration(next)*frame).Compare(at) <= 0; next++ {
			m := main[next%len(main)]
			hub.Publish(&ingest.AccessUnit{Session: session, WallTime: t0.Add(time.Duration(next) * frame),
				Keyframe: isIDR(m), NALUs: m})
		}
	}
	for range 2 {
		at = playAUs(t, dec, sub, fps, at, an, plates, publish)
	}
	plates.close()
	an.close(at)
	hub.Close()
	return rec, looks
}

// scorePassages matches reads from the second loop (starting at from) to
// the truth's passages: the right plate, read between half a second
// before the passage and half a second after it; it returns the passages
// read right and the reads that match none.
func scorePassages(t *testing.T, truth sim.Truth, reads []*store.PlateRead, from time.Time) (right, extra int) {
	t.Helper()
	used := map[int]bool{}
	for _, p := range truth.Passages {
		start := from.Add(time.Duration((p.Start - 0.5) * float64(time.Second)))
		end := from.Add(time.Duration((p.End + 0.5) * float64(time.Second)))
		found := false
		for i, r := range reads {
			if !used[i] && r.Plate == ukplate.Normalize(p.Plate) && !r.At.Before(start) && !r.At.After(end) {
				used[i], found = true, true
				break
			}
		}
		if found {
			right++
		} else {
			t.Logf("passage %s (%.1f-%.1f s) not read", p.Plate, p.Start, p.End)
		}
	}
	for i, r := range reads {
		if !used[i] && !r.At.Before(from) {
			extra++
			t.Logf("read %s at %.1f s matches no passage", r.Text, r.At.Sub(from).Seconds())
		}
	}
	t.Logf("second loop: %d of %d passages read right, %d other reads", right, len(truth.Passages), extra)
	return right, extra
}

func loopOf(truth sim.Truth) time.Duration {
	return time.Duration(truth.Seconds * float64(time.Second))
}

// isIDR reports whether an access unit holds an IDR slice.
func isIDR(au [][]byte) bool {
	for _, n := range au {
		if len(n) > 0 && n[0]&0x1f == 5 {
			return true
		}
	}
	return false
}

func countKeyframes(aus [][][]byte) int {
	n := 0
	for _, au := range aus {
		if isIDR(au) {
			n++
		}
	}
	return n
}
