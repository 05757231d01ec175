package decode

import (
	"bytes"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// testPicture is a full-range 4:2:0 picture that changes with i: a moving
// diagonal gradient with a bright square, coloured chroma.
func testPicture(w, h, i int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			v := 40 + (x+y+3*i)%160
			if x/16%4 == i%4 && y/16%2 == 0 {
				v = 230
			}
			img.Y[img.YOffset(x, y)] = uint8(v)
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			img.Cb[y*img.CStride+x] = uint8(60 + (x+i)%120)
			img.Cr[y*img.CStride+x] = uint8(200 - (y+i)%100)
		}
	}
	return img
}

// psnr of plane a against b (w×h, their strides).
func psnr(a []byte, as int, b []byte, bs int, w, h int) float64 {
	var se float64
	for y := range h {
		for x := range w {
			d := float64(a[y*as+x]) - float64(b[y*bs+x])
			se += d * d
		}
	}
	if se == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/(se/float64(w*h)))
}

func TestEncoderRoundTrip(t *testing.T) {
	const w, h, n = 320, 180, 30
	keys := []int{0, 12, 20} // the caller's IDRs
	e, err := NewEncoder(EncoderConfig{Width: w, Height: h})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if h264.NALUType(e.SPS()[0]&0x1f) != h264.NALUTypeSPS || h264.NALUType(e.PPS()[0]&0x1f) != h264.NALUTypePPS {
		t.Fatalf("SPS %x, PPS %x", e.SPS()[:1], e.PPS()[:1])
	}
	var sps h264.SPS
	if err := sps.Unmarshal(e.SPS()); err != nil {
		t.Fatal(err)
	}
	if sps.Width() != w || sps.Height() != h {
		t.Fatalf("SPS says %dx%d", sps.Width(), sps.Height())
	}
	if sps.VUI == nil || !sps.VUI.VideoFullRangeFlag {
		t.Error("SPS does not say full range")
	}

	var pics []*image.YCbCr
	var aus []EncodedAU
	for i := range n {
		pic := testPicture(w, h, i)
		pics = append(pics, pic)
		out, err := e.Encode(pic, int64(i)*3600, slices.Contains(keys, i))
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		aus = append(aus, out...)
	}
	out, err := e.Flush()
	if err != nil {
		t.Fatal(err)
	}
	aus = append(aus, out...)
	if _, err := e.Encode(pics[0], 1e9, false); !errors.Is(err, ErrEncoderClosed) {
		t.Errorf("Encode after Flush: %v", err)
	}
	if len(aus) != n {
		t.Fatalf("%d access units for %d pictures", len(aus), n)
	}

	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i, au := range aus {
		if au.PTS != int64(i)*3600 {
			t.Errorf("AU %d: pts %d, want %d (output order must be input order)", i, au.PTS, i*3600)
		}
		if au.Keyframe != slices.Contains(keys, i) {
			t.Errorf("AU %d: keyframe %v, asked %v", i, au.Keyframe, slices.Contains(keys, i))
		}
		idr := false
		for _, nalu := range au.NALUs {
			switch h264.NALUType(nalu[0] & 0x1f) {
			case h264.NALUTypeIDR:
				idr = true
			case h264.NALUTypeSPS, h264.NALUTypePPS, h264.NALUTypeAccessUnitDelimiter:
				t.Errorf("AU %d carries NALU type %d", i, nalu[0]&0x1f)
			}
		}
		if idr != au.Keyframe {
			t.Errorf("AU %d: IDR slice %v, keyframe flag %v", i, idr, au.Keyframe)
		}
		in := au.NALUs
		if au.Keyframe {
			in = append([][]byte{e.SPS(), e.PPS()}, in...)
		}
		f, err := d.Decode(in)
		if err != nil || f == nil {
			t.Fatalf("decoding AU %d: %v (frame %v)", i, err, f)
		}
		got := f.YCbCr()
		if p := psnr(got.Y, got.YStride, pics[i].Y, pics[i].YStride, w, h); p < 35 {
			t.Errorf("picture %d: luma PSNR %.1f dB", i, p)
		}
		if p := psnr(got.Cb, got.CStride, pics[i].Cb, pics[i].CStride, w/2, h/2); p < 35 {
			t.Errorf("picture %d: Cb PSNR %.1f dB", i, p)
		}
	}
}

func TestEncoderBadConfig(t *testing.T) {
	for _, tc := range []struct {
		c    EncoderConfig
		want string
	}{
		{EncoderConfig{Width: 321, Height: 180}, "even"},
		{EncoderConfig{Width: 320, Height: 181}, "even"},
		{EncoderConfig{Width: 0, Height: 180}, "positive"},
		{EncoderConfig{Width: -2, Height: -2}, "positive"},
		{EncoderConfig{Width: 16384, Height: 16384}, "pixels"},
		{EncoderConfig{Width: 320, Height: 180, Preset: "warp"}, "preset"},
		{EncoderConfig{Width: 320, Height: 180, CRF: 52}, "CRF"},
		{EncoderConfig{Width: 320, Height: 180, CRF: -1}, "CRF"},
		{EncoderConfig{Width: 320, Height: 180, FrameRate: -5}, "frame rate"},
	} {
		e, err := NewEncoder(tc.c)
		if err == nil {
			e.Close()
			t.Errorf("%+v: no error", tc.c)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want it to mention %q", tc.c, err, tc.want)
		}
	}
}

func TestEncoderBadPictures(t *testing.T) {
	e, err := NewEncoder(EncoderConfig{Width: 64, Height: 48, Preset: "ultrafast"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	short := testPicture(64, 48, 0)
	short.Cr = short.Cr[:10]
	for name, tc := range map[string]struct {
		pic  *image.YCbCr
		want string
	}{
		"nil":         {nil, "nil"},
		"wrong size":  {testPicture(80, 48, 0), "64x48"},
		"4:4:4":       {image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio444), "4:2:0"},
		"short plane": {short, "shorter"},
	} {
		if _, err := e.Encode(tc.pic, 0, true); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error mentioning %q", name, err, tc.want)
		}
	}
	// A picture inside a larger one (a SubImage) is fine.
	big := testPicture(128, 96, 0)
	sub := big.SubImage(image.Rect(32, 16, 96, 64)).(*image.YCbCr)
	if _, err := e.Encode(sub, 0, true); err != nil {
		t.Fatalf("sub-image: %v", err)
	}
	if _, err := e.Encode(testPicture(64, 48, 1), 0, false); err == nil || !strings.Contains(err.Error(), "increase") {
		t.Errorf("repeated pts: %v", err)
	}
	if _, err := e.Encode(testPicture(64, 48, 1), 3600, false); err != nil {
		t.Fatalf("after refusals: %v", err)
	}
	e.Close()
	e.Close()
	if _, err := e.Encode(testPicture(64, 48, 2), 7200, false); !errors.Is(err, ErrEncoderClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	if _, err := e.Flush(); !errors.Is(err, ErrEncoderClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
}

func TestMaskBlacksOutWithChroma(t *testing.T) {
	img := testPicture(8, 4, 0)
	raster := make([]bool, 8*4)
	raster[1*8+3] = true // one pixel of the chroma sample (1, 0)
	for x := range 2 {   // the whole left column pair of rows 2-3
		raster[2*8+x], raster[3*8+x] = true, true
	}
	before := testPicture(8, 4, 0)
	if err := Mask(img, raster); err != nil {
		t.Fatal(err)
	}
	for y := range 4 {
		for x := range 8 {
			i := img.YOffset(x, y)
			if raster[y*8+x] {
				if img.Y[i] != 0 {
					t.Errorf("masked (%d,%d): Y %d", x, y, img.Y[i])
				}
			} else if img.Y[i] != before.Y[i] {
				t.Errorf("unmasked (%d,%d) changed", x, y)
			}
		}
	}
	for cy := range 2 {
		for cx := range 4 {
			c := cy*img.CStride + cx
			masked := (cx == 1 && cy == 0) || (cx == 0 && cy == 1)
			if masked && (img.Cb[c] != 128 || img.Cr[c] != 128) {
				t.Errorf("chroma (%d,%d) of a masked pixel: %d,%d", cx, cy, img.Cb[c], img.Cr[c])
			}
			if !masked && (img.Cb[c] != before.Cb[c] || img.Cr[c] != before.Cr[c]) {
				t.Errorf("chroma (%d,%d) of unmasked pixels changed", cx, cy)
			}
		}
	}
	if err := Mask(img, raster[:5]); err == nil {
		t.Error("a raster of the wrong size was accepted")
	}
}

// The 4:2:0 fast path of Mask does what the per-pixel definition says, on
// odd sizes too.
func TestMaskRunsMatchPerPixel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{33, 17}, {64, 48}, {7, 3}} {
		w, h := sz[0], sz[1]
		raster := make([]bool, w*h)
		for i := range raster {
			raster[i] = rng.IntN(5) == 0 || (i%w > w/2 && i%w < w/2+4)
		}
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = 200
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = 30, 220
		}
		want := image.NewYCbCr(img.Rect, img.SubsampleRatio)
		copy(want.Y, img.Y)
		copy(want.Cb, img.Cb)
		copy(want.Cr, img.Cr)
		for y := range h {
			for x := range w {
				if raster[y*w+x] {
					want.Y[want.YOffset(x, y)] = 0
					c := want.COffset(x, y)
					want.Cb[c], want.Cr[c] = 128, 128
				}
			}
		}
		if err := Mask(img, raster); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(img.Y, want.Y) || !bytes.Equal(img.Cb, want.Cb) || !bytes.Equal(img.Cr, want.Cr) {
			t.Fatalf("%dx%d: runs differ from the per-pixel mask", w, h)
		}
	}
}

// EncodeFrame takes decoded limited-range pictures as they are, masks them
// with luma 16, and Repeat stands in for a lost one.
func TestEncodeFrameMasksLimitedRange(t *testing.T) {
	const w, h, n = 320, 180, 12
	src, err := NewEncoder(EncoderConfig{Width: w, Height: h, LimitedRange: true, Preset: "ultrafast"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var in []EncodedAU
	for i := range n {
		pic := testPicture(w, h, i)
		for k := range pic.Y {
			pic.Y[k] = 16 + pic.Y[k]*219/255 // limited levels
		}
		aus, err := src.Encode(pic, int64(i)*3600, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, aus...)
	}
	aus, err := src.Flush()
	if err != nil {
		t.Fatal(err)
	}
	in = append(in, aus...)

	mask := make([]bool, w*h)
	for y := range h {
		for x := range w / 3 {
			mask[y*w+x] = true
		}
	}
	dec, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	enc, err := NewEncoder(EncoderConfig{Width: w, Height: h, LimitedRange: true})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	full, err := NewEncoder(EncoderConfig{Width: w, Height: h})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()

	var sources []*image.Gray
	var out []EncodedAU
	for i, au := range in {
		nalus := au.NALUs
		if au.Keyframe {
			nalus = append([][]byte{src.SPS(), src.PPS()}, nalus...)
		}
		f, err := dec.Decode(nalus)
		if err != nil || f == nil {
			t.Fatalf("decoding %d: %v", i, err)
		}
		if f.FullRange() {
			t.Fatal("limited-range stream decoded as full range")
		}
		if _, err := full.EncodeFrame(f, nil, int64(i)*3600, false); err == nil || !strings.Contains(err.Error(), "range") {
			t.Fatalf("range mismatch: %v", err)
		}
		if _, err := enc.EncodeFrame(f, mask[:10], int64(i)*3600, false); err == nil {
			t.Fatal("short mask accepted")
		}
		g := f.Gray()
		sources = append(sources, &image.Gray{Pix: bytes.Clone(g.Pix), Stride: g.Stride, Rect: g.Rect})
		var got []EncodedAU
		if i == 5 {
			got, err = enc.Repeat(int64(i)*3600, false) // as if picture 5 were lost
			sources[5] = sources[4]
		} else {
			got, err = enc.EncodeFrame(f, mask, int64(i)*3600, au.Keyframe)
		}
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		out = append(out, got...)
	}
	stale, _ := dec.Flush()
	if _, err := enc.EncodeFrame(&Frame{d: dec, gen: dec.gen - 1}, mask, 1e9, false); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("stale frame: %v (flush gave %v)", err, stale)
	}
	aus, err = enc.Flush()
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, aus...)
	if len(out) != n {
		t.Fatalf("%d access units for %d pictures", len(out), n)
	}

	check, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	for i, au := range out {
		nalus := au.NALUs
		if au.Keyframe {
			nalus = append([][]byte{enc.SPS(), enc.PPS()}, nalus...)
		}
		f, err := check.Decode(nalus)
		if err != nil || f == nil {
			t.Fatalf("decoding output %d: %v", i, err)
		}
		g := f.Gray()
		for y := range h {
			for x := range w/3 - 16 { // off the edge macroblock
				if v := g.Pix[y*g.Stride+x]; v < 14 || v > 18 {
					t.Fatalf("output %d: masked pixel (%d,%d) luma %d, want 16", i, x, y, v)
				}
			}
		}
		s := sources[i]
		if p := psnr(g.Pix[w/3+16:], g.Stride, s.Pix[w/3+16:], s.Stride, w-w/3-16, h); p < 33 {
			t.Errorf("output %d: unmasked luma PSNR %.1f dB against its source", i, p)
		}
	}
}
