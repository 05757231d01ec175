package export_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// A camera with a privacy mask: the working copy has the masked area
// black and the rest of the picture intact, the masters are the native
// segments marked as containing masked areas, the manifest lists the mask,
// and the bundle verifies.
func TestMaskedCameraExport(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is needed (make deps installs it)")
	}
	s := recordSite(t, 1)
	ctx := context.Background()
	cam := sim.CameraName(1)
	set, err := s.store.CameraAnalytics(ctx, cam)
	if err != nil {
		t.Fatal(err)
	}
	leftHalf := zones.Polygon{{X: 0, Y: 0}, {X: 0.5, Y: 0}, {X: 0.5, Y: 1}, {X: 0, Y: 1}}
	set.Privacy = []zones.Polygon{leftHalf}
	if err := s.store.PutCameraAnalytics(ctx, set); err != nil {
		t.Fatal(err)
	}
	dir, m := exportVerified(t, s, cam)
	if got := fmt.Sprint(m.Cameras[0].PrivacyMasks); got != "[[[0 0] [0.5 0] [0.5 1] [0 1]]]" {
		t.Errorf("manifest masks %s", got)
	}
	var working string
	for _, f := range m.Files {
		if (f.Kind == bundle.KindMaster && !f.ContainsMaskedAreas) || (f.Kind == bundle.KindWorking && !f.MasksBurnedIn) {
			t.Errorf("%s (%s) is not marked", f.Path, f.Kind)
		}
		if f.Kind == bundle.KindWorking {
			working = filepath.Join(dir, filepath.FromSlash(f.Path))
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, bundle.ReadmePath))
	if !containsAll(string(readme), "PRIVACY MASKS: "+cam, "DO show them") {
		t.Errorf("README does not explain the masks:\n%s", readme)
	}

	// Every 10th picture of the working copy: the left half black, the
	// right half the street.
	const w, h = 320, 180
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", working, "-vf", "select=not(mod(n\\,10))", "-vsync", "0",
		"-f", "rawvideo", "-pix_fmt", "gray", "-").Output()
	if err != nil || len(out) < w*h || len(out)%(w*h) != 0 {
		t.Fatalf("decode the working copy: %v (%d bytes)", err, len(out))
	}
	for i := 0; i < len(out); i += w * h {
		pic := out[i : i+w*h]
		left, leftSD := stats(pic, w, 0, w/2-2)
		right, rightSD := stats(pic, w, w/2+2, w)
		if left > 20 || leftSD > 3 {
			t.Fatalf("picture %d: the masked half has mean luma %.1f (sd %.1f), want black", i/(w*h)*10, left, leftSD)
		}
		if right < 25 || rightSD < 8 {
			t.Fatalf("picture %d: the unmasked half has mean luma %.1f (sd %.1f), want the street", i/(w*h)*10, right, rightSD)
		}
	}
}

// stats is the mean and standard deviation of columns [x0, x1) of a gray
// picture w wide.
func stats(pic []byte, w, x0, x1 int) (mean, sd float64) {
	var sum, sq, n float64
	for y := 0; y < len(pic)/w; y++ {
		for x := x0; x < x1; x++ {
			v := float64(pic[y*w+x])
			sum, sq, n = sum+v, sq+v*v, n+1
		}
	}
	mean = sum / n
	return mean, math.Sqrt(max(sq/n-mean*mean, 0))
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
