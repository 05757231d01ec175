package analytics

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Ground truth: the simulator's scenes move objects through zones and tamper
// with the view at known times; the detected events are matched against
// them, loop after loop, and recall and precision asserted.

// truthLoops is how many times a scene clip is played; the first loop is
// the background model's learning and is not scored.
const truthLoops = 3

// window is one event in seconds from the start of the run.
type window struct{ start, end float64 }

// tolerance is how far apart a detected and a true event may be and still
// match: an event is confirmed on its second picture and ends after the hold.
const tolerance = 1.5

func overlaps(a, b window) bool {
	return a.start <= b.end+tolerance && b.start <= a.end+tolerance
}

// score matches detected events with true ones (both in run seconds) from
// the second loop on, and returns recall and precision.
func score(truth, found []window, from float64) (recall, precision float64, missed, extra []window) {
	var tt, ff []window
	for _, w := range truth {
		if w.start >= from {
			tt = append(tt, w)
		}
	}
	for _, w := range found {
		if w.start >= from-tolerance {
			ff = append(ff, w)
		}
	}
	hit := 0
	for _, t := range tt {
		ok := false
		for _, f := range ff {
			ok = ok || overlaps(t, f)
		}
		if ok {
			hit++
		} else {
			missed = append(missed, t)
		}
	}
	good := 0
	for _, f := range ff {
		ok := false
		for _, t := range tt {
			ok = ok || overlaps(t, f)
		}
		if ok {
			good++
		} else {
			extra = append(extra, f)
		}
	}
	recall, precision = 1, 1
	if len(tt) > 0 {
		recall = float64(hit) / float64(len(tt))
	}
	if len(ff) > 0 {
		precision = float64(good) / float64(len(ff))
	}
	return recall, precision, missed, extra
}

// truthWindows repeats the truth's events of one kind and zone over loops.
func truthWindows(tr sim.Truth, kind, zone string, loops int) []window {
	var out []window
	for l := range loops {
		off := float64(l) * tr.Seconds
		for _, ev := range tr.Events {
			if ev.Kind == kind && ev.Zone == zone {
				out = append(out, window{off + ev.Start, off + ev.End})
			}
		}
	}
	return out
}

func foundWindows(rec *recorded, kind, zone string, t0 time.Time) []window {
	var out []window
	for _, ev := range rec.kind(kind, zone) {
		out = append(out, window{ev.Start.Sub(t0).Seconds(), ev.End.Sub(t0).Seconds()})
	}
	return out
}

// runScene plays a scene with its zones configured.
func runScene(t *testing.T, scene sim.Scene, cfg Config) (*recorded, sim.Truth, time.Time) {
	path, truth := simtest.Scene(t, scene, simtest.SceneSpec)
	set := defaultSettings()
	set.Zones = truth.Zones
	t0 := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // across the BST→GMT change
	rec := runClip(t, clipAUs(t, path), truth.FPS, truthLoops, cfg, set, t0)
	return rec, truth, t0
}

func TestMotionEventsMatchTheGroundTruth(t *testing.T) {
	rec, truth, t0 := runScene(t, sim.SceneZone, Config{})
	zoneNames := []string{""}
	for _, z := range truth.Zones {
		zoneNames = append(zoneNames, z.Name)
	}
	for _, zone := range zoneNames {
		tw := truthWindows(truth, store.EventMotion, zone, truthLoops)
		fw := foundWindows(rec, store.EventMotion, zone, t0)
		recall, precision, missed, extra := score(tw, fw, truth.Seconds)
		t.Logf("zone %q: recall %.2f precision %.2f (%d true, %d found)", zone, recall, precision, len(tw), len(fw))
		if recall < 0.9 || precision < 0.9 {
			t.Errorf("zone %q: recall %.2f, precision %.2f (want ≥ 0.9 each); missed %v, extra %v", zone, recall, precision, missed, extra)
		}
	}
	for _, ev := range rec.events {
		if ev.Kind != store.EventMotion {
			t.Errorf("tamper event %s at %.1fs on an untouched scene", ev.Kind, ev.Start.Sub(t0).Seconds())
		}
	}
	// Objects: the zone scene's objects each cross the frame once a loop.
	objects := 0
	for _, a := range rec.activity {
		if a.Zone == "" {
			objects += a.Objects
		}
	}
	if want := len(truthWindows(truth, store.EventMotion, "", truthLoops)); objects < want || objects > 2*want {
		t.Errorf("counted %d moving objects over %d loops, want about %d", objects, truthLoops, want)
	}
}

func TestTamperEventsMatchTheGroundTruth(t *testing.T) {
	cfg := Config{CoveredAfter: 3 * time.Second, MovedAfter: 3 * time.Second, DefocusAfter: 3 * time.Second, FrozenAfter: 5 * time.Second}
	for _, tc := range []struct {
		scene sim.Scene
		kind  string
	}{
		{sim.SceneCovered, store.EventTamperCovered},
		{sim.SceneMoved, store.EventTamperMoved},
		{sim.SceneDefocus, store.EventTamperDefocused},
		{sim.SceneFrozen, store.EventTamperFrozen},
	} {
		t.Run(string(tc.scene), func(t *testing.T) {
			rec, truth, t0 := runScene(t, tc.scene, cfg)
			tw := truthWindows(truth, tc.kind, "", truthLoops)
			fw := foundWindows(rec, tc.kind, "", t0)
			recall, precision, missed, extra := score(tw, fw, truth.Seconds)
			if recall < 1 || precision < 1 {
				t.Errorf("recall %.2f precision %.2f; missed %v, extra %v", recall, precision, missed, extra)
			}
			var others []string
			for _, ev := range rec.events {
				if ev.Kind != store.EventMotion && ev.Kind != tc.kind {
					others = append(others, fmt.Sprintf("%s at %.1fs", ev.Kind, ev.Start.Sub(t0).Seconds()))
				}
			}
			if len(others) > 0 {
				t.Errorf("other tamper events: %v", others)
			}
			if rec.alerts != len(fw) {
				t.Errorf("%d alerts for %d tamper events", rec.alerts, len(fw))
			}
			t.Logf("%s: found %v (truth %v)", tc.kind, fw, tw)
		})
	}
}
