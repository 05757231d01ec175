package decode

import (
	"path/filepath"
	"testing"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
)

// BenchmarkDecode320x180 decodes the simulator's small main clip (the
// analytics sub streams are this size or smaller).
func BenchmarkDecode320x180(b *testing.B) {
	mainPath, _ := testClips(b)
	benchDecode(b, mainPath, 1000)
}

// BenchmarkDecode1080p decodes the default 1920x1080 main clip made by
// `go run ./cmd/camsim -generate -clips ./data/clips`; skipped when absent.
func BenchmarkDecode1080p(b *testing.B) {
	matches, _ := filepath.Glob(filepath.Join(simtest.ClipDir(b), "main_1920x1080_*.h264"))
	if len(matches) == 0 {
		b.Skip("no 1920x1080 clip in data/clips (go run ./cmd/camsim -generate -clips ./data/clips)")
	}
	benchDecode(b, matches[0], 250)
}

// benchDecode reports our decode rate and, measured in the same run, the
// ratio of our time per picture to `ffmpeg -threads 1 ... -f null -` on the
// same clip repeated to at least minFrames pictures (ffmpeg's start-up,
// measured with -frames:v 1, is subtracted).
func benchDecode(b *testing.B, path string, minFrames int) {
	aus := readAUs(b, path)
	ffmpegPerFrame, ok := ffmpegBaseline(b, path, len(aus), minFrames)

	d, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	frames, i := 0, 0
	for b.Loop() {
		f, err := d.Decode(aus[i%len(aus)])
		if err != nil {
			b.Fatal(err)
		}
		if f != nil {
			frames++
		}
		i++
	}
	if frames == 0 {
		b.Fatal("no pictures")
	}
	perFrame := b.Elapsed().Seconds() / float64(frames)
	b.ReportMetric(1/perFrame, "frames/s")
	if ok {
		b.ReportMetric(1/ffmpegPerFrame, "ffmpeg-frames/s")
		b.ReportMetric(perFrame/ffmpegPerFrame, "x-ffmpeg-time")
	}
}

// ffmpegBaseline returns ffmpeg's single-threaded decode time per picture.
func ffmpegBaseline(b *testing.B, path string, clipFrames, minFrames int) (float64, bool) {
	perFrame, err := FFmpegPerPicture(path, clipFrames, minFrames, b.TempDir())
	if err != nil {
		b.Log("no baseline: ", err)
		return 0, false
	}
	b.Logf("ffmpeg -threads 1: %.3f ms/picture", perFrame.Seconds()*1e3)
	return perFrame.Seconds(), true
}
