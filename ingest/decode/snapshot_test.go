package decode

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestSnapshot(t *testing.T) {
	mainPath, subPath := testClips(t)
	cases := []struct {
		path         string
		maxWidth     int
		wantW, wantH int
	}{
		{mainPath, 160, 160, 90},
		{mainPath, 0, 320, 180},
		{mainPath, 1000, 320, 180}, // never scaled up
		{mainPath, 101, 101, 57},   // odd sizes
		{subPath, 80, 80, 48},
		{subPath, -1, 160, 96},
	}
	for _, c := range cases {
		aus := readAUs(t, c.path)
		sps, pps, rest := splitParams(aus[0])
		out, err := Snapshot(sps, pps, rest, c.maxWidth, 85)
		if err != nil {
			t.Fatalf("%s max %d: %v", filepath.Base(c.path), c.maxWidth, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("not a JPEG: %v", err)
		}
		if img.Bounds() != image.Rect(0, 0, c.wantW, c.wantH) {
			t.Errorf("%s max %d: %v, want %dx%d", filepath.Base(c.path), c.maxWidth, img.Bounds(), c.wantW, c.wantH)
		}
		t.Logf("%s max %d: %d-byte JPEG %v", filepath.Base(c.path), c.maxWidth, len(out), img.Bounds())
	}
	// A whole access unit as the hub carries it (SPS, PPS and SEI repeated
	// inside) is fine too.
	aus := readAUs(t, mainPath)
	sps, pps, _ := splitParams(aus[0])
	if _, err := Snapshot(sps, pps, aus[0], 160, 85); err != nil {
		t.Errorf("whole AU: %v", err)
	}
}

// TestSnapshotLooksRight writes a snapshot and a full frame to
// $VIGIL_DECODE_OUT (default: the test's temp dir) for a human to look at,
// and checks the JPEG resembles the decoded picture.
func TestSnapshotLooksRight(t *testing.T) {
	mainPath, _ := testClips(t)
	aus := readAUs(t, mainPath)
	sps, pps, rest := splitParams(aus[0])
	out, err := Snapshot(sps, pps, rest, 0, 90)
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("VIGIL_DECODE_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, "snapshot.jpg"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	thumb, err := Snapshot(sps, pps, rest, 160, 80)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "snapshot-160.jpg"), thumb, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := d.Decode(aus[0])
	if err != nil || f == nil {
		t.Fatalf("%v, %v", f != nil, err)
	}
	rgba := f.RGBA()
	var buf bytes.Buffer
	if err := png.Encode(&buf, rgba); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "frame.png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	// Mean absolute difference between the JPEG and libswscale's RGBA.
	var diff, n int
	for y := 0; y < 180; y += 3 {
		for x := 0; x < 320; x += 3 {
			r1, g1, b1, _ := img.At(x, y).RGBA()
			c := rgba.RGBAAt(x, y)
			diff += absDiff(int(r1>>8), int(c.R)) + absDiff(int(g1>>8), int(c.G)) + absDiff(int(b1>>8), int(c.B))
			n += 3
		}
	}
	if mean := float64(diff) / float64(n); mean > 8 {
		t.Errorf("JPEG differs from the RGBA frame by %.1f per channel on average", mean)
	} else {
		t.Logf("JPEG vs RGBA: mean difference %.2f per channel", mean)
	}
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

func TestSnapshotErrors(t *testing.T) {
	mainPath, _ := testClips(t)
	aus := readAUs(t, mainPath)
	sps, pps, rest := splitParams(aus[0])
	cases := []struct {
		name     string
		sps, pps []byte
		au       [][]byte
		quality  int
	}{
		{"P-frame", sps, pps, aus[1], 80},
		{"truncated IDR", sps, pps, [][]byte{rest[0][:len(rest[0])/4]}, 80},
		{"garbage", sps, pps, [][]byte{{0x65, 1, 2, 3, 4, 5, 6, 7}}, 80},
		{"no SPS", nil, pps, rest, 80},
		{"empty AU", sps, pps, nil, 80},
		{"quality 0", sps, pps, rest, 0},
		{"quality 101", sps, pps, rest, 101},
		{"SPS as PPS", sps, sps, rest, 80},
	}
	for _, c := range cases {
		out, err := Snapshot(c.sps, c.pps, c.au, 160, c.quality)
		if err == nil {
			t.Errorf("%s: %d-byte JPEG, want an error", c.name, len(out))
			continue
		}
		t.Logf("%s: %v", c.name, err)
	}
}

// TestRGBAMatchesFFmpeg compares the first picture's RGBA with the ffmpeg
// command's own decode and conversion of the same clip.
func TestRGBAMatchesFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	mainPath, _ := testClips(t)
	ref, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-i", mainPath,
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := d.Decode(readAUs(t, mainPath)[0])
	if err != nil || f == nil {
		t.Fatalf("%v, %v", f != nil, err)
	}
	img := f.RGBA()
	if len(ref) != len(img.Pix) {
		t.Fatalf("ffmpeg gave %d bytes, we %d", len(ref), len(img.Pix))
	}
	diff := 0
	for i := range ref {
		if i%4 != 3 {
			diff += absDiff(int(ref[i]), int(img.Pix[i]))
		}
	}
	mean := float64(diff) / float64(len(ref)*3/4)
	t.Logf("RGBA vs ffmpeg: mean difference %.2f per channel", mean)
	if mean > 3 {
		t.Errorf("RGBA differs from ffmpeg's by %.2f per channel on average", mean)
	}
}
