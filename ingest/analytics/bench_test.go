package analytics

import (
	"runtime"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/decode"
)

// BenchmarkDecodeAndMotion is one camera's work per picture on the 640x360
// 5 fps sub stream: decode and analyse (motion, tracking, zones, tamper
// once a second), on one thread. It reports pictures a second, ffmpeg's
// single-threaded decode rate on the same clip measured in the same run,
// the ratio (target ≥ 0.6), and what that makes in cameras per core at 5 fps.
func BenchmarkDecodeAndMotion(b *testing.B) {
	path := streetClip(b)
	aus := clipAUs(b, path)
	base, err := decode.FFmpegPerPicture(path, len(aus), 1500, b.TempDir())
	if err != nil {
		b.Log("no baseline: ", err)
	}
	runtime.LockOSThread() // one thread: a per-core figure
	defer runtime.UnlockOSThread()
	cfg := Config{}
	cfg.defaults()
	rec := &recorded{}
	dec, err := decode.NewForAnalysis()
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	an := newAnalyser("cam001", cfg, defaultSettings(), rec.out, rec.gauge)
	defer an.close(time.Now())
	at := time.Now()
	i := 0
	for b.Loop() {
		f, err := dec.Decode(aus[i%len(aus)])
		if err != nil {
			b.Fatal(err)
		}
		if f != nil {
			an.analyse(f, at)
		}
		at = at.Add(200 * time.Millisecond)
		i++
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(1/per, "frames/s")
	b.ReportMetric(1/per/5, "cameras/core@5fps")
	if base > 0 {
		b.ReportMetric(1/base.Seconds(), "ffmpeg-frames/s")
		b.ReportMetric(base.Seconds()/per, "x-ffmpeg-rate")
	}
}
