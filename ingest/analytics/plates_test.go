package analytics

import (
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
	"github.com/vigil-cctv/vigil/ingest/decode"
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
	aus := clipAUs(t, path)
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
	t0 := time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC)
	frame := time.Second / time.Duration(spec.FPS)
	at := t0
	for range 2 {
		for _, au := range aus {
			f, err := dec.Decode(au)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if f != nil {
				if err := an.analyse(f, at); err != nil {
					t.Fatal(err)
				}
				if err := plates.observe(f, at, an); err != nil {
					t.Fatal(err)
				}
			}
			at = at.Add(frame)
		}
	}
	plates.close()
	an.close(at)

	loop := time.Duration(truth.Seconds * float64(time.Second))
	from := t0.Add(loop)
	right, extra := 0, 0
	used := map[int]bool{}
	for _, p := range truth.Passages {
		start := from.Add(time.Duration((p.Start - 0.5) * float64(time.Second)))
		end := from.Add(time.Duration((p.End + 0.5) * float64(time.Second)))
		found := false
		for i, r := range rec.plates {
			if !used[i] && r.Plate == ukplate.Normalize(p.Plate) && !r.At.Before(start) && !r.At.After(end) {
				used[i], found = true, true
				if len(r.Crop) == 0 || len(r.Thumbnail) == 0 || r.Frames < 2 {
					t.Errorf("read of %s has crop %d bytes, thumbnail %d bytes, %d frames", p.Plate, len(r.Crop), len(r.Thumbnail), r.Frames)
				}
				break
			}
		}
		if found {
			right++
		} else {
			t.Logf("passage %s (%.1f-%.1f s) not read", p.Plate, p.Start, p.End)
		}
	}
	for i, r := range rec.plates {
		if !used[i] && !r.At.Before(from) {
			extra++
			t.Logf("read %s at %.1f s matches no passage", r.Text, r.At.Sub(from).Seconds())
		}
	}
	recall := float64(right) / float64(len(truth.Passages))
	t.Logf("second loop: %d of %d passages read right (%.0f%%), %d other reads", right, len(truth.Passages), 100*recall, extra)
	if recall < 0.9 || extra > 1 {
		t.Errorf("passages read right %.0f%% (want >= 90%%), other reads %d (want <= 1)", 100*recall, extra)
	}
	if after := openMats(); after != before {
		t.Errorf("%d Mats left open", after-before)
	}
}
