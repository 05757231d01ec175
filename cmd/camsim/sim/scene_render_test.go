package sim

import (
	"fmt"
	"image"
	"os/exec"
	"testing"
	"time"
)

// renderLuma runs scene's filter graph without the encoder and returns the luma plane of
// every frame: what the graph draws, exactly.
func renderLuma(t *testing.T, scene Scene, spec StreamSpec) [][]byte {
	t.Helper()
	frames := sceneFrames(scene, spec, 0)
	out, err := exec.CommandContext(t.Context(), "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
		"-filter_complex", sceneGraph(scene, spec, frames), "-map", "[out]", "-frames:v", fmt.Sprint(frames),
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	w, h := spec.Width, spec.Height
	size := w*h + 2*((w+1)/2)*((h+1)/2)
	if len(out) != frames*size {
		t.Fatalf("%d bytes of raw video, want %d frames of %d", len(out), frames, size)
	}
	lumas := make([][]byte, frames)
	for f := range lumas {
		lumas[f] = out[f*size : f*size+w*h]
	}
	return lumas
}

// changedBounds is the bounding box of the pixels whose luma differs from ref by more than
// noise can.
func changedBounds(y, ref []byte, w int) image.Rectangle {
	var r image.Rectangle
	for i := range y {
		if d := int(y[i]) - int(ref[i]); d > 20 || d < -20 {
			p := image.Rect(i%w, i/w, i%w+1, i/w+1)
			if r.Empty() {
				r = p
			} else {
				r = r.Union(p)
			}
		}
	}
	return r
}

// TestSceneDrawsTruth checks the truth against the pixels: in every frame the boxes are
// where objectPath.rect says (the graph's expressions match the Go arithmetic), the
// tampering starts at the tamper frame, and a frozen picture repeats exactly.
func TestSceneDrawsTruth(t *testing.T) {
	t.Parallel()
	spec := StreamSpec{Width: 160, Height: 90, FPS: 5, GOP: time.Second, Bitrate: 64_000}
	paths := make([]objectPath, len(sceneObjects))
	for i, o := range sceneObjects {
		paths[i] = o.path(spec)
	}
	ft := frameAt(sceneTamperFrom, spec.FPS)
	for _, scene := range AllScenes[1:] {
		t.Run(string(scene), func(t *testing.T) {
			lumas := renderLuma(t, scene, spec)
			for f, y := range lumas {
				ref := lumas[0] // nothing in the picture at 0 s nor at 30 s
				if tampered(scene, spec, f) {
					ref = lumas[ft]
				}
				if scene == SceneDefocus && f >= ft {
					continue // blurred edges; see below
				}
				var want image.Rectangle
				for _, r := range visibleRects(scene, spec, f, paths) {
					want = want.Union(r)
				}
				if got := changedBounds(y, ref, spec.Width); got != want {
					t.Fatalf("frame %d (%.1fs): moving pixels in %v, truth %v", f, float64(f)/float64(spec.FPS), got, want)
				}
			}
			before, after := lumas[ft-1], lumas[ft]
			switch scene {
			case SceneCovered:
				if m := mean(after); m > 40 || mean(before) < 80 {
					t.Fatalf("mean luma %.0f before, %.0f covered", mean(before), m)
				}
			case SceneFrozen:
				for f := ft + 1; f < len(lumas); f++ {
					if string(lumas[f]) != string(after) {
						t.Fatalf("frame %d differs from the frozen frame %d", f, ft)
					}
				}
			case SceneDefocus:
				if b, a := sharpness(before, spec.Width), sharpness(after, spec.Width); a > b/3 {
					t.Fatalf("edges %.4f before, %.4f blurred", b, a)
				}
			case SceneMoved:
				// the background moved right by the shift
				dx, w := movedShift(spec), spec.Width
				for row := 0; row < spec.Height; row++ {
					for x := dx; x < w; x++ {
						if d := int(after[row*w+x]) - int(before[row*w+x-dx]); d > 20 || d < -20 {
							t.Fatalf("pixel (%d,%d) is not pixel (%d,%d) moved", x, row, x-dx, row)
						}
					}
				}
			}
		})
	}
}

func mean(y []byte) float64 {
	s := 0
	for _, v := range y {
		s += int(v)
	}
	return float64(s) / float64(len(y))
}

// sharpness is the share of horizontal luma steps bigger than noise makes: edges.
func sharpness(y []byte, w int) float64 {
	n := 0
	for i := 1; i < len(y); i++ {
		if d := int(y[i]) - int(y[i-1]); i%w != 0 && (d > 20 || d < -20) {
			n++
		}
	}
	return float64(n) / float64(len(y))
}
