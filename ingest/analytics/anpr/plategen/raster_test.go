package plategen

import (
	"math"
	"testing"
)

// coverage paints s white on black and sums the red channel: the painted area.
func coverage(w, h int, s Shape) float64 {
	c := newCanvas(w, h, RGB{})
	c.fill(s, RGB{1, 1, 1}, 1)
	sum := 0.0
	for i := 0; i < w*h; i++ {
		sum += float64(c.pix[3*i])
	}
	return sum
}

func TestFillArea(t *testing.T) {
	cases := []struct {
		name string
		s    Shape
		want float64
	}{
		{"pixel-aligned square", Shape{rect(2, 2, 12, 12)}, 100},
		{"sub-pixel square", Shape{rect(2.25, 2.5, 12.75, 8.1)}, 10.5 * 5.6},
		{"overlapping pieces unite", Shape{rect(0, 0, 10, 10), rect(5, 0, 15, 10)}, 150},
		{"ring with a hole", ring(oval(10, 10, 30, 30, 10, 10), 4), math.Pi * (12*12 - 8*8)},
		{"clipped by the canvas", Shape{rect(-5, -5, 5, 5)}, 25},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := coverage(40, 40, c.s)
			if math.Abs(got-c.want) > 0.03*c.want+0.5 {
				t.Fatalf("area %.2f, want %.2f", got, c.want)
			}
		})
	}
}

func TestGlyphs(t *testing.T) {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	bitmaps := map[byte][]float32{}
	for i := 0; i < len(chars); i++ {
		ch := chars[i]
		g, ok := GlyphOf(ch)
		if !ok || len(g.Shape) == 0 {
			t.Fatalf("%c: no glyph", ch)
		}
		lo, hi := g.Shape.Bounds()
		if lo.X < -1e-9 || lo.Y < -1e-9 || hi.X > g.Width+1e-9 || hi.Y > GlyphH+1e-9 {
			t.Fatalf("%c: outside its box: %v %v", ch, lo, hi)
		}
		// every glyph reaches the top and bottom of its box (the plate's cap height)
		if lo.Y > 0.5 || hi.Y < GlyphH-0.5 {
			t.Fatalf("%c: not full height: %v..%v", ch, lo.Y, hi.Y)
		}
		narrow := ch == '1' || ch == 'I'
		if narrow != (g.Width < GlyphW) {
			t.Fatalf("%c: width %v", ch, g.Width)
		}
		c := newCanvas(50, 79, RGB{})
		c.fill(g.Shape, RGB{1, 1, 1}, 1)
		bm := make([]float32, 50*79)
		ink := 0.0
		for k := range bm {
			bm[k] = c.pix[3*k]
			ink += float64(bm[k])
		}
		if ink < 0.12*50*79 || ink > 0.8*50*79 {
			t.Fatalf("%c: ink area %.0f mm² is implausible for 14 mm strokes", ch, ink)
		}
		bitmaps[ch] = bm
	}
	// no two glyphs alike; the close pairs differ by a visible amount
	for a, ba := range bitmaps {
		for b, bb := range bitmaps {
			if a >= b {
				continue
			}
			d := 0.0
			for k := range ba {
				d += math.Abs(float64(ba[k] - bb[k]))
			}
			if d < 150 {
				t.Fatalf("%c and %c differ by only %.0f mm²", a, b, d)
			}
		}
	}
}

func TestPoseHomography(t *testing.T) {
	p := Pose{Centre: Pt{100, 50}, CharHeight: 39.5}
	h := p.Homography()
	c := h.Apply(Pt{})
	if math.Abs(c.X-100) > 1e-9 || math.Abs(c.Y-50) > 1e-9 {
		t.Fatalf("centre at %v", c)
	}
	top, bot := h.Apply(Pt{0, -GlyphH / 2}), h.Apply(Pt{0, GlyphH / 2})
	if math.Abs(bot.Y-top.Y-39.5) > 0.1 {
		t.Fatalf("character height %v px, want 39.5", bot.Y-top.Y)
	}
	// the homography and the 3-D projection agree on the plate's plane
	p.Yaw, p.Pitch, p.Roll = 20, -10, 5
	h = p.Homography()
	for _, q := range []Pt{{-260, -55}, {260, 55}, {100, -20}} {
		a, b := h.Apply(q), p.Project(q.X, q.Y, 0)
		if math.Hypot(a.X-b.X, a.Y-b.Y) > 1e-6 {
			t.Fatalf("%v: %v vs %v", q, a, b)
		}
	}
}
