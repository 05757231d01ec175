package analytics

import (
	"image"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
	"github.com/vigil-cctv/vigil/ingest/decode"
)

// BenchmarkPlatesCamera is one ANPR camera's work on the plates scene (a
// busy road: a vehicle in view 26 s of every 60 s, the 640x360 sub stream
// at 5 fps): decode, motion and plate reading where the picture moves, on
// one thread, a whole loop per iteration. The baseline, measured in the
// same run on the same clip, is the same camera without plate reading.
// It reports the ratio, the plates read a second, and ANPR cameras per core.
func BenchmarkPlatesCamera(b *testing.B) {
	spec := sim.DefaultConfig().Sub
	path, truth := simtest.Scene(b, sim.ScenePlates, spec)
	aus := clipAUs(b, path)
	runtime.LockOSThread() // one thread: a per-core figure
	defer runtime.UnlockOSThread()
	loop := func(plates bool) (time.Duration, int) {
		cfg := Config{}
		cfg.defaults()
		rec := &recorded{}
		dec, err := decode.NewForAnalysis()
		if err != nil {
			b.Fatal(err)
		}
		defer dec.Close()
		an := newAnalyser("cam001", cfg, defaultSettings(), rec.out, rec.gauge)
		var ps *plateStage
		if plates {
			if ps, err = newPlateStage("cam001", "gb", rec.out); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		at := playAUs(b, dec, aus, spec.FPS, time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC), an, ps, nil)
		took := time.Since(start)
		if ps != nil {
			ps.close()
		}
		an.close(at)
		return took, len(rec.plates)
	}
	var with, without time.Duration
	reads := 0
	for b.Loop() {
		d, n := loop(true)
		with, reads = with+d, reads+n
		d, _ = loop(false)
		without += d
	}
	perLoop := with.Seconds() / float64(b.N)
	b.ReportMetric(with.Seconds()/without.Seconds(), "x-motion-only")
	b.ReportMetric(float64(reads)/float64(b.N), "reads/loop")
	b.ReportMetric(truth.Seconds/perLoop, "anpr-cameras/core")
	b.ReportMetric(truth.Seconds/(without.Seconds()/float64(b.N)), "motion-cameras/core")
}

// BenchmarkMainLook is one main-stream look: the 1080p main stream's
// keyframe decoded alone and read around a far plate seen small in the
// 640x360 sub stream (LK19 RXT entering the plates scene). The baseline,
// measured in the same run, is what following the main stream would cost
// instead: decoding one second of it (25 pictures from that keyframe).
func BenchmarkMainLook(b *testing.B) {
	subSpec, mainSpec := sim.DefaultConfig().Sub, sim.DefaultConfig().Main
	path, _ := simtest.Scene(b, sim.ScenePlates, mainSpec)
	aus := clipAUs(b, path)
	const at = 4 // seconds: a keyframe (2 s GOP), the first picture of LK19 RXT's passage
	first := at * mainSpec.FPS
	if !isIDR(aus[first]) {
		b.Fatalf("access unit %d is not a keyframe", first)
	}
	_, truth := sim.PlatesFrame(subSpec, at*subSpec.FPS)
	if len(truth) == 0 {
		b.Fatal("no plate in the sub stream's picture")
	}
	small := truth[0].Box
	reader, err := newPlateStage("cam001", "gb", func(op) {})
	if err != nil {
		b.Fatal(err)
	}
	defer reader.close()
	an := newAnalyser("cam001", Config{}, defaultSettings(), func(op) {}, func(string, bool) {})
	defer an.close(time.Now())
	hub := &ingest.Hub{}
	defer hub.Close()
	wall := time.Date(2026, 11, 24, 22, 0, at, 0, time.UTC)
	hub.Publish(&ingest.AccessUnit{Session: &ingest.Session{}, WallTime: wall, Keyframe: true, NALUs: aus[first]})
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	var look, follow time.Duration
	read := 0
	for b.Loop() {
		m := newMainLook(func() *ingest.Hub { return hub }, func() {})
		start := time.Now()
		obs, err := m.look(reader.reader, wall, []image.Rectangle{small}, subSpec.Width, subSpec.Height, an)
		look += time.Since(start)
		m.close()
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range obs {
			if o.Text == ukplate.Normalize(truth[0].Text) {
				read++
			}
		}
		dec, err := decode.NewForAnalysis()
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		for _, au := range aus[first : first+mainSpec.FPS] {
			if _, err := dec.Decode(au); err != nil {
				b.Fatal(err)
			}
		}
		follow += time.Since(start)
		dec.Close()
	}
	if read != b.N {
		b.Errorf("the far plate %s was read in %d of %d looks", truth[0].Text, read, b.N)
	}
	b.ReportMetric(float64(look.Milliseconds())/float64(b.N), "ms/look")
	b.ReportMetric(float64(follow.Milliseconds())/float64(b.N), "ms/s-of-main")
	b.ReportMetric(look.Seconds()/follow.Seconds(), "x-following-main")
}
