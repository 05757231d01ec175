package analytics

import (
	"runtime"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
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
		at := time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC)
		start := time.Now()
		for _, au := range aus {
			f, err := dec.Decode(au)
			if err != nil {
				b.Fatal(err)
			}
			if f != nil {
				an.analyse(f, at)
				if ps != nil {
					ps.observe(f, at, an)
				}
			}
			at = at.Add(time.Second / time.Duration(spec.FPS))
		}
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
