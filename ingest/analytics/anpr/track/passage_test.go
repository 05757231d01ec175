package track_test

import (
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/plategen"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/track"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

// passageFrames is how many pictures of a passage are read: a car crossing
// a 640x360 view in about a second, analysed at 5 pictures a second.
const passageFrames = 5

// TestPassageAccuracy reads synthetic passages (a seed never used in
// training; night and motion blur included, as in plategen's mix): each
// frame with the reader, the frames of a passage voted by the tracker.
// The targets: exact plate per passage after voting >= 97%,
// single frame >= 90%. Under -race (the renderer ten times slower) a
// smaller sample is read and only logged: make test runs this test again
// without -race, where the targets are asserted.
func TestPassageAccuracy(t *testing.T) {
	n := 100
	if raceOn || testing.Short() {
		n = 12
	}
	r, err := anpr.New(anpr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rng := rand.New(rand.NewPCG(9200, 1))
	opt := plategen.DefaultSceneOptions()
	t0 := time.Date(2026, 11, 24, 21, 0, 0, 0, time.UTC)
	frames, frameRight, passRight, falseReads := 0, 0, 0, 0
	for p := range n {
		sc := plategen.RandomScene(rng, opt)
		sc.Vehicles = sc.Vehicles[len(sc.Vehicles)-1:] // the near vehicle alone
		v := &sc.Vehicles[0]
		truth := ukplate.Normalize(v.Plate.Text)
		// It crosses from one side to the other, growing a little.
		dir := 1.0
		if rng.IntN(2) == 0 {
			dir = -1
		}
		x0, step := v.Pose.Centre.X, 25.0
		var tr track.Tracker
		var got []track.Passage
		at := t0.Add(time.Duration(p) * time.Minute)
		for i := range passageFrames {
			v.Pose.Centre.X = x0 + dir*step*float64(i-passageFrames/2)
			sc.Cond.Seed = rng.Uint64()
			img, truths := plategen.RenderScene(sc)
			if !truths[0].Box.In(image.Rect(0, 0, sc.Width, sc.Height)) {
				continue // out of the picture at this step
			}
			plates, err := r.ReadImage(img)
			if err != nil {
				t.Fatal(err)
			}
			frames++
			var obs []track.Observation
			for _, pl := range plates {
				text := ukplate.Normalize(pl.Text)
				if pl.Box.Overlaps(truths[0].Box) && text == truth {
					frameRight++
				}
				obs = append(obs, track.Observation{At: at, Box: pl.Box, Text: text, Conf: pl.Confidence, Probs: pl.Probs})
			}
			got = append(got, tr.Add(at, obs)...)
			at = at.Add(200 * time.Millisecond)
		}
		got = append(got, tr.Flush()...)
		right := false
		for _, ps := range got {
			if ps.Plain == truth && !right {
				right = true
			} else {
				falseReads++
			}
		}
		if right {
			passRight++
		} else {
			t.Logf("passage %d: %s read as %v", p, truth, plainOf(got))
		}
	}
	single := float64(frameRight) / float64(frames)
	passage := float64(passRight) / float64(n)
	t.Logf("%d passages, %d frames: exact plate per passage %.1f%%, single frame %.1f%%, false reads %d",
		n, frames, 100*passage, 100*single, falseReads)
	if n < 100 {
		// Too few to judge a 97% target on: only that the pipeline reads.
		if passage < 0.75 {
			t.Errorf("exact plate per passage %.1f%% of a small sample, want >= 75%%", 100*passage)
		}
		return
	}
	if passage < 0.97 {
		t.Errorf("exact plate per passage %.1f%%, want >= 97%%", 100*passage)
	}
	if single < 0.90 {
		t.Errorf("single-frame exact plate %.1f%%, want >= 90%%", 100*single)
	}
}

func plainOf(ps []track.Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Plain)
	}
	return out
}
