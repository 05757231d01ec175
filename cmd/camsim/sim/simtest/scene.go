package simtest

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
)

// SceneSpec is a small stream for scene tests, about what analytics decodes:
// 320x180 at 5 fps, 2 s GOP. Tests sharing it share the cached clips.
var SceneSpec = sim.StreamSpec{Width: 320, Height: 180, FPS: 5, GOP: 2 * time.Second, Bitrate: 256_000}

// Scene returns the clip of scene for spec, generated once into the repository's
// clip cache, and its ground truth.
func Scene(t testing.TB, scene sim.Scene, spec sim.StreamSpec) (path string, truth sim.Truth) {
	t.Helper()
	path, truth, err := sim.GenerateScene(context.Background(), ClipDir(t), "ffmpeg", scene, spec)
	if err != nil {
		t.Fatal(err)
	}
	return path, truth
}
