package charimg

import (
	"bytes"
	"image"
	"testing"
)

// grey is a w x h picture filled with bg and a dark (fg) box at r.
func grey(w, h int, bg, fg uint8, r image.Rectangle) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := bg
			if (image.Point{x, y}).In(r) {
				v = fg
			}
			g.Pix[y*g.Stride+x] = v
		}
	}
	return g
}

// inkBounds is the bounding box of pixels darker than 128.
func inkBounds(g *image.Gray) image.Rectangle {
	var r image.Rectangle
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			if g.Pix[y*g.Stride+x] < 128 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func TestNormalizeSize(t *testing.T) {
	cases := []struct {
		name     string
		crop     image.Rectangle // all dark: the glyph fills the crop
		wantW    int
		wantH    int
		wantMinX int
	}{
		{"tall keeps aspect", image.Rect(0, 0, 10, 40), 7, 28, 6},
		{"square", image.Rect(0, 0, 30, 30), 18, 18, 1},
		{"wide clamped to 18", image.Rect(0, 0, 60, 30), 18, 9, 1},
		{"one pixel", image.Rect(0, 0, 1, 1), 18, 18, 1},
		{"thin bar", image.Rect(0, 0, 2, 56), 1, 28, 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// a dark glyph filling the crop plus one light pixel so the stretch has a range
			src := grey(100, 100, 255, 0, c.crop)
			got := Normalize(src, c.crop)
			if got.Bounds() != image.Rect(0, 0, Width, Height) {
				t.Fatalf("bounds %v", got.Bounds())
			}
			ink := inkBounds(got)
			if ink.Dx() != c.wantW || ink.Dy() != c.wantH {
				t.Fatalf("glyph %dx%d, want %dx%d (%v)", ink.Dx(), ink.Dy(), c.wantW, c.wantH, ink)
			}
			if ink.Min.X != c.wantMinX || ink.Min.Y != (Height-c.wantH)/2 {
				t.Fatalf("not centred: %v", ink)
			}
		})
	}
}

func TestNormalizeStretch(t *testing.T) {
	// a low-contrast glyph: 100 on 150
	src := grey(40, 60, 150, 100, image.Rect(10, 10, 20, 50))
	got := Normalize(src, image.Rect(5, 5, 25, 55))
	lo, hi := 255, 0
	for _, v := range got.Pix {
		lo, hi = min(lo, int(v)), max(hi, int(v))
	}
	if lo != 0 || hi != 255 {
		t.Fatalf("range %d..%d, want 0..255", lo, hi)
	}
}

func TestNormalizeDegenerate(t *testing.T) {
	src := grey(40, 60, 200, 10, image.Rect(10, 10, 20, 50))
	for _, r := range []image.Rectangle{
		{},                          // empty
		image.Rect(5, 5, 5, 30),     // zero width
		image.Rect(50, 50, 80, 90),  // outside
		image.Rect(20, 30, 10, 5),   // inverted
		image.Rect(-10, -10, 0, 0),  // before the origin
		image.Rect(-5, -5, 100, 99), // larger than the picture: clipped
	} {
		got := Normalize(src, r)
		if got.Bounds().Dx() != Width || got.Bounds().Dy() != Height {
			t.Fatalf("%v: bounds %v", r, got.Bounds())
		}
	}
	// a flat crop is left as it is (no range to stretch)
	flat := Normalize(grey(10, 10, 90, 90, image.Rectangle{}), image.Rect(0, 0, 10, 10))
	if flat.Pix[16*Width+10] != 90 {
		t.Fatalf("flat crop changed: %d", flat.Pix[16*Width+10])
	}
	// blank canvas for empty crops
	for _, v := range Normalize(src, image.Rectangle{}).Pix {
		if v != 255 {
			t.Fatal("empty crop is not blank white")
		}
	}
}

func TestNormalizeSubImage(t *testing.T) {
	// the crop rectangle is in the source's coordinates, whatever its origin
	src := grey(60, 60, 255, 0, image.Rect(20, 20, 30, 50))
	sub := src.SubImage(image.Rect(15, 15, 40, 55)).(*image.Gray)
	a := Normalize(src, image.Rect(18, 18, 32, 52))
	b := Normalize(sub, image.Rect(18, 18, 32, 52))
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Fatal("sub-image gives a different result")
	}
}

func TestNormalizeDeterministic(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 50, 70))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 37 % 251)
	}
	r := image.Rect(3, 4, 41, 66)
	a := Normalize(src, r)
	for i := 0; i < 5; i++ {
		if !bytes.Equal(a.Pix, Normalize(src, r).Pix) {
			t.Fatal("not deterministic")
		}
	}
}

func TestTensor(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, Width, Height))
	g.Pix[0] = 255
	g.Pix[Width+1] = 51
	v := Tensor(g)
	if len(v) != Width*Height {
		t.Fatalf("len %d", len(v))
	}
	if v[0] != 1 || v[Width+1] != 0.2 || v[1] != 0 {
		t.Fatalf("values %v %v %v", v[0], v[Width+1], v[1])
	}
}
