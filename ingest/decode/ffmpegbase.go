package decode

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// FFmpegPerPicture is the baseline the decode and analytics benchmarks
// compare with: `ffmpeg -threads 1 ... -f null -` decoding the clip at path
// (clipFrames pictures) repeated to at least minFrames, best of three, with
// ffmpeg's start-up (measured with -frames:v 1) taken off. tmpDir holds the
// repeated clip.
func FFmpegPerPicture(path string, clipFrames, minFrames int, tmpDir string) (time.Duration, error) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return 0, fmt.Errorf("ffmpeg not installed: %w", err)
	}
	clip, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	reps := max(1, (minFrames+clipFrames-1)/clipFrames)
	long := filepath.Join(tmpDir, "baseline.h264")
	if err := os.WriteFile(long, bytes.Repeat(clip, reps), 0o644); err != nil {
		return 0, err
	}
	defer os.Remove(long)
	run := func(extra ...string) (time.Duration, error) {
		best := time.Duration(1 << 62)
		for range 3 {
			args := append([]string{"-hide_banner", "-loglevel", "error", "-threads", "1", "-i", long}, extra...)
			args = append(args, "-f", "null", "-")
			start := time.Now()
			if out, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
				return 0, fmt.Errorf("ffmpeg: %v\n%s", err, out)
			}
			best = min(best, time.Since(start))
		}
		return best, nil
	}
	all, err := run()
	if err != nil {
		return 0, err
	}
	one, err := run("-frames:v", "1")
	if err != nil {
		return 0, err
	}
	if all <= one {
		return 0, errors.New("ffmpeg baseline too fast to measure")
	}
	return (all - one) / time.Duration(reps*clipFrames-1), nil
}
