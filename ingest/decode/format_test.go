package decode

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

// encodeClip makes a small H.264 clip of a solid colour with the ffmpeg
// command (libx264), in pixel format pixFmt.
func encodeClip(t *testing.T, pixFmt, colour string, w, h int, x264 string) string {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	out := filepath.Join(t.TempDir(), pixFmt+".h264")
	cmd := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
		"-i", fmt.Sprintf("color=c=%s:s=%dx%d:r=5:d=2", colour, w, h),
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pixFmt,
		"-x264-params", "aud=1"+x264, "-threads", "1", "-y", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	return out
}

// TestPixelFormats decodes 4:2:2, 4:4:4, 10-bit and full-range streams
// (cameras send some of these): every picture comes out as 8-bit 4:2:0 with
// the range handled, so white stays white in RGBA.
func TestPixelFormats(t *testing.T) {
	cases := []struct {
		pixFmt string
		grayLo uint8 // expected luma of white in Gray (limited 235, full 255)
	}{
		{"yuv420p", 230},
		{"yuvj420p", 250},
		{"yuv422p", 230},
		{"yuv444p", 230},
		{"yuv420p10le", 230},
	}
	for _, c := range cases {
		t.Run(c.pixFmt, func(t *testing.T) {
			path := encodeClip(t, c.pixFmt, "white", 96, 64, "")
			d, err := New()
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			n := decodeAll(t, d, readAUs(t, path), func(i int, f *Frame) {
				if f.Width != 96 || f.Height != 64 {
					t.Fatalf("%dx%d", f.Width, f.Height)
				}
				g := f.Gray()
				if y := g.GrayAt(48, 32).Y; y < c.grayLo || (c.grayLo < 250 && y > 240) {
					t.Errorf("white luma %d, want about %d", y, c.grayLo)
				}
				px := f.RGBA().RGBAAt(48, 32)
				if px.R < 250 || px.G < 250 || px.B < 250 || px.A != 255 {
					t.Errorf("white is %v in RGBA", px)
				}
				ycc := f.YCbCr()
				if y := ycc.Y[ycc.YOffset(48, 32)]; y < 250 {
					t.Errorf("white is Y=%d in the (full-range) YCbCr copy", y)
				}
			})
			if fr, _ := d.Flush(); fr != nil {
				n++
			}
			if n != 10 {
				t.Errorf("%d pictures, want 10", n)
			}
		})
	}
}

func TestMaxPixels(t *testing.T) {
	mainPath, _ := testClips(t)
	d, err := newDecoder(160*96, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := d.Decode(readAUs(t, mainPath)[0])
	if f != nil || err == nil {
		t.Fatalf("320x180 over a 160x96 bound: frame %v, err %v", f != nil, err)
	}
	t.Log(err)
}

// TestCropped1080p checks the coded 1088 lines are cropped to 1080.
func TestCropped1080p(t *testing.T) {
	matches, _ := filepath.Glob(filepath.Join(clipDir(t), "main_1920x1080_*.h264"))
	if len(matches) == 0 {
		t.Skip("no 1920x1080 clip in data/clips")
	}
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := d.Decode(readAUs(t, matches[0])[0])
	if err != nil || f == nil {
		t.Fatalf("%v, %v", f != nil, err)
	}
	if f.Width != 1920 || f.Height != 1080 || f.Gray().Bounds().Dy() != 1080 || f.RGBA().Bounds().Dy() != 1080 {
		t.Errorf("%dx%d, want 1920x1080", f.Width, f.Height)
	}
}

// TestBFrames: with B-frames libavcodec holds pictures for reordering; Decode
// returns nil meanwhile (not an error) and Flush gives the last one.
func TestBFrames(t *testing.T) {
	path := encodeClip(t, "yuv420p", "blue", 64, 48, ":bframes=2:b-adapt=0:keyint=10")
	aus := readAUs(t, path)
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	n := decodeAll(t, d, aus, nil)
	f, err := d.Flush()
	if err != nil || f == nil {
		t.Fatalf("Flush: frame %v, err %v; want the held picture", f != nil, err)
	}
	n++
	t.Logf("%d access units, %d pictures (the other held ones are dropped by Flush)", len(aus), n)
	if n < len(aus)-2 || n > len(aus) {
		t.Errorf("%d pictures from %d access units", n, len(aus))
	}
	// After Flush the decoder starts again at an IDR.
	if f, err := d.Decode(aus[0]); err != nil || f != nil && f.Width != 64 {
		t.Fatalf("IDR after Flush: %v, %v", f != nil, err)
	}
}
