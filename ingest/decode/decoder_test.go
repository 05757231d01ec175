package decode

import (
	"bytes"
	"errors"
	"image"
	"math/rand/v2"
	"testing"
)

// decodeAll decodes aus in order and returns how many gave a picture; check
// sees each one.
func decodeAll(t *testing.T, d *Decoder, aus [][][]byte, check func(i int, f *Frame)) int {
	t.Helper()
	n := 0
	for i, au := range aus {
		f, err := d.Decode(au)
		if err != nil {
			t.Fatalf("AU %d: %v", i, err)
		}
		if f == nil {
			continue
		}
		n++
		if check != nil {
			check(i, f)
		}
	}
	return n
}

func lumaStats(g *image.Gray) (mean, variance float64, maxY uint8) {
	b := g.Bounds()
	var sum, sum2 float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := g.GrayAt(x, y).Y
			sum += float64(v)
			sum2 += float64(v) * float64(v)
			maxY = max(maxY, v)
		}
	}
	n := float64(b.Dx() * b.Dy())
	mean = sum / n
	return mean, sum2/n - mean*mean, maxY
}

func hasNearWhite(img *image.RGBA) bool {
	for i := 0; i+3 < len(img.Pix); i += 4 {
		if img.Pix[i] >= 220 && img.Pix[i+1] >= 220 && img.Pix[i+2] >= 220 {
			return true
		}
	}
	return false
}

func TestDecodeClip(t *testing.T) {
	mainPath, _ := testClips(t)
	aus := readAUs(t, mainPath)
	if !isIDR(aus[0]) {
		t.Fatal("clip does not start with an IDR")
	}
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	keys := 0
	n := decodeAll(t, d, aus, func(i int, f *Frame) {
		if f.Width != 320 || f.Height != 180 {
			t.Fatalf("AU %d: %dx%d, want 320x180", i, f.Width, f.Height)
		}
		if f.Corrupt {
			t.Errorf("AU %d: picture flagged corrupt", i)
		}
		if f.Keyframe {
			keys++
		}
		if i%25 != 10 {
			return
		}
		g := f.Gray()
		if g.Bounds() != image.Rect(0, 0, 320, 180) {
			t.Fatalf("AU %d: Gray bounds %v", i, g.Bounds())
		}
		mean, variance, maxY := lumaStats(g)
		t.Logf("AU %d: luma mean %.1f variance %.1f max %d", i, mean, variance, maxY)
		if variance < 200 {
			t.Errorf("AU %d: luma variance %.1f: picture looks blank", i, variance)
		}
		rgba := f.RGBA()
		if rgba.Bounds() != image.Rect(0, 0, 320, 180) {
			t.Fatalf("AU %d: RGBA bounds %v", i, rgba.Bounds())
		}
		if !hasNearWhite(rgba) {
			t.Errorf("AU %d: no near-white pixel (the number plate)", i)
		}
	})
	// Baseline, no B-frames: every access unit gives its picture at once.
	if n != len(aus) {
		t.Errorf("%d pictures from %d access units", n, len(aus))
	}
	idrs := 0
	for _, au := range aus {
		if isIDR(au) {
			idrs++
		}
	}
	if keys != idrs {
		t.Errorf("%d key pictures, %d IDR access units", keys, idrs)
	}
	if f, err := d.Flush(); err != nil || f != nil {
		t.Errorf("Flush after a baseline clip = %v, %v; want nil, nil", f, err)
	}
}

func TestFrameLifetime(t *testing.T) {
	mainPath, _ := testClips(t)
	aus := readAUs(t, mainPath)
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	f, err := d.Decode(aus[0])
	if err != nil || f == nil {
		t.Fatalf("first IDR: %v, %v", f, err)
	}
	rgba, ycc := f.RGBA(), f.YCbCr()
	gray := f.Gray()
	grayCopy := bytes.Clone(gray.Pix)
	rgbaCopy, yCopy := bytes.Clone(rgba.Pix), bytes.Clone(ycc.Y)
	if ycc.Bounds() != image.Rect(0, 0, 320, 180) || ycc.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Fatalf("YCbCr %v %v", ycc.Bounds(), ycc.SubsampleRatio)
	}
	// Same picture, same plane: YCbCr's luma is Gray's, range-expanded when
	// the stream is limited range, so only compare brightness order.
	if (gray.Pix[0] < gray.Pix[gray.Stride*90+160]) != (ycc.Y[0] < ycc.Y[ycc.YStride*90+160]) {
		t.Error("YCbCr luma does not follow Gray")
	}

	for _, au := range aus[1:30] {
		if _, err := d.Decode(au); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(rgba.Pix, rgbaCopy) || !bytes.Equal(ycc.Y, yCopy) {
		t.Error("RGBA/YCbCr copies changed after later Decodes")
	}
	if f.Gray() != nil || f.RGBA() != nil || f.YCbCr() != nil {
		t.Error("a stale Frame still returns pictures")
	}
	if bytes.Equal(gray.Pix, grayCopy) {
		t.Log("note: the stale Gray view happens to be unchanged (buffer not reused yet)")
	}
}

func TestResolutionChange(t *testing.T) {
	mainPath, subPath := testClips(t)
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, c := range []struct {
		path string
		w, h int
	}{{subPath, 160, 96}, {mainPath, 320, 180}, {subPath, 160, 96}} {
		n := decodeAll(t, d, readAUs(t, c.path)[:10], func(i int, f *Frame) {
			if f.Width != c.w || f.Height != c.h {
				t.Fatalf("%dx%d, want %dx%d", f.Width, f.Height, c.w, c.h)
			}
			if img := f.RGBA(); img == nil || img.Bounds().Dx() != c.w || img.Bounds().Dy() != c.h {
				t.Fatalf("RGBA after a size change: %v", img.Bounds())
			}
			if img := f.Thumbnail(80); img == nil || img.Bounds().Dx() != 80 {
				t.Fatal("Thumbnail after a size change failed")
			}
		})
		if n != 10 {
			t.Errorf("%s: %d pictures from 10 access units", c.path, n)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d.Close()
	if _, err := d.Decode([][]byte{{0x65, 0x88}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: %v, want ErrClosed", err)
	}
	if _, err := d.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v, want ErrClosed", err)
	}
}

func TestDecodeGarbage(t *testing.T) {
	mainPath, _ := testClips(t)
	aus := readAUs(t, mainPath)
	sps, pps, idr := splitParams(aus[0])
	if sps == nil || pps == nil || len(idr) == 0 {
		t.Fatal("first AU lacks SPS/PPS/IDR")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	truncate := func(au [][]byte, frac int) [][]byte {
		out := make([][]byte, len(au))
		for i, n := range au {
			out[i] = n[:max(1, len(n)/frac)]
		}
		return out
	}

	cases := []struct {
		name    string
		aus     [][][]byte
		wantErr error // when set, the first AU must fail with it
		quiet   bool  // no picture and no error: nothing to show yet
	}{
		{name: "empty AU", aus: [][][]byte{{}}},
		{name: "empty NALU", aus: [][][]byte{{sps, {}}}},
		{name: "too large", aus: [][][]byte{{make([]byte, MaxAccessUnitSize)}}, wantErr: ErrTooLarge},
		{name: "random bytes", aus: [][][]byte{{random(1000)}, {random(50), random(3000)}, {random(1)}}},
		{name: "random slices after SPS/PPS", aus: [][][]byte{{sps, pps, append([]byte{0x65}, random(2000)...)}}},
		{name: "SPS alone", aus: [][][]byte{{sps}}, quiet: true},
		{name: "SPS and PPS alone", aus: [][][]byte{{sps, pps}}, quiet: true},
		{name: "P-frames before any IDR", aus: aus[1:5], quiet: true},
		{name: "truncated IDR", aus: [][][]byte{truncate(aus[0], 3), aus[1]}},
		{name: "truncated to one byte", aus: [][][]byte{truncate(aus[0], 1<<30)}},
		{name: "IDR without SPS/PPS", aus: [][][]byte{idr}},
		{name: "corrupted IDR", aus: [][][]byte{{sps, pps, flip(idr[0], rng)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := New()
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			for i, au := range c.aus {
				f, err := d.Decode(au)
				t.Logf("AU %d: frame %v, err %v", i, f != nil, err)
				if c.quiet && (f != nil || err != nil) {
					t.Errorf("got frame %v, err %v; want neither", f != nil, err)
				}
				if i == 0 && c.wantErr != nil && !errors.Is(err, c.wantErr) {
					t.Errorf("err = %v, want %v", err, c.wantErr)
				}
				if f != nil {
					// Whatever came out must be usable.
					if f.Gray() == nil || f.RGBA() == nil {
						t.Error("a returned Frame gives no picture")
					}
				}
			}
			// The decoder keeps working: a clean IDR decodes afterwards.
			if _, err := d.Flush(); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			f, err := d.Decode(aus[0])
			if err != nil || f == nil {
				t.Fatalf("clean IDR after garbage: %v, %v", f != nil, err)
			}
		})
	}
}

// flip returns a copy of nalu with a run of bytes in its middle inverted.
func flip(nalu []byte, rng *rand.Rand) []byte {
	out := bytes.Clone(nalu)
	for i := len(out) / 3; i < len(out)/3+64 && i < len(out); i++ {
		out[i] ^= byte(rng.Uint32()) | 1
	}
	return out
}

func TestJoinMidGOP(t *testing.T) {
	mainPath, _ := testClips(t)
	aus := readAUs(t, mainPath)
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Join at AU 5 (P-frames until the next IDR): quiet until the IDR, then
	// a picture for every AU.
	seenIDR := false
	for i, au := range aus[5:] {
		f, err := d.Decode(au)
		if err != nil {
			t.Fatalf("AU %d: %v", i+5, err)
		}
		seenIDR = seenIDR || isIDR(au)
		if (f != nil) != seenIDR {
			t.Fatalf("AU %d: picture %v, IDR seen %v", i+5, f != nil, seenIDR)
		}
	}
	if !seenIDR {
		t.Fatal("clip has a single IDR")
	}
}

// TestDamagedMidStream: lost access units and a damaged slice after the
// stream started still give pictures (libavcodec conceals), and the damaged
// one is flagged Corrupt. The slice is cut in half: flipped bits can decode
// "cleanly" into a wrong picture (libavcodec does not promise to notice,
// and the clip differs between builds), a slice that ends early cannot.
func TestDamagedMidStream(t *testing.T) {
	mainPath, _ := testClips(t)
	aus := readAUs(t, mainPath)
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i, au := range aus[:12] {
		if i == 3 || i == 4 {
			continue // lost
		}
		damaged := i == 8
		if damaged {
			slice := au[len(au)-1]
			au = [][]byte{slice[:len(slice)/2]}
		}
		f, err := d.Decode(au)
		if err != nil || f == nil {
			t.Fatalf("AU %d: frame %v, err %v", i, f != nil, err)
		}
		if damaged && !f.Corrupt {
			t.Errorf("AU %d: damaged slice not flagged Corrupt", i)
		}
		t.Logf("AU %d: corrupt %v", i, f.Corrupt)
	}
}
