package zones

import (
	"math/rand/v2"
	"testing"
)

// bruteRaster is the definition Rasterize must match: Contains on every
// pixel centre.
func bruteRaster(polys []Polygon, w, h int) []bool {
	in := make([]bool, w*h)
	for y := range h {
		for x := range w {
			q := Point{X: (float64(x) + 0.5) / float64(w), Y: (float64(y) + 0.5) / float64(h)}
			for _, p := range polys {
				if p.Contains(q) {
					in[y*w+x] = true
					break
				}
			}
		}
	}
	return in
}

func TestRasterizeMatchesContains(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	cases := map[string][]Polygon{
		"left third":   {poly(0, 0, 1.0/3, 0, 1.0/3, 1, 0, 1)},
		"whole frame":  {poly(0, 0, 1, 0, 1, 1, 0, 1)},
		"triangle":     {poly(0.1, 0.9, 0.5, 0.05, 0.95, 0.9)},
		"two overlap":  {poly(0.1, 0.1, 0.6, 0.1, 0.6, 0.6, 0.1, 0.6), poly(0.4, 0.4, 0.9, 0.4, 0.9, 0.9, 0.4, 0.9)},
		"concave (L)":  {poly(0.1, 0.1, 0.3, 0.1, 0.3, 0.7, 0.8, 0.7, 0.8, 0.9, 0.1, 0.9)},
		"pixel edges":  {poly(0.25, 0.25, 0.75, 0.25, 0.75, 0.75, 0.25, 0.75)}, // edges on pixel boundaries
		"none":         nil,
		"random stars": nil,
	}
	var stars []Polygon
	for range 5 {
		var p Polygon
		for range 3 + rng.IntN(10) {
			p = append(p, Point{rng.Float64(), rng.Float64()})
		}
		stars = append(stars, p) // self-crossing on purpose: even-odd still defines it
	}
	cases["random stars"] = stars
	for name, polys := range cases {
		for _, sz := range [][2]int{{16, 9}, {160, 96}, {321, 181}} {
			w, h := sz[0], sz[1]
			got, want := Rasterize(polys, w, h), bruteRaster(polys, w, h)
			n := 0
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s %dx%d: pixel (%d,%d) rasterized %v, Contains says %v", name, w, h, i%w, i/w, got[i], want[i])
				}
				if got[i] {
					n++
				}
			}
			if name == "left third" && n != h*((w+2)/3) && n != h*(w/3) {
				t.Errorf("left third of %dx%d: %d pixels marked", w, h, n)
			}
		}
	}
}

func TestRasterizeLeftThird(t *testing.T) {
	in := Rasterize([]Polygon{poly(0, 0, 1.0/3, 0, 1.0/3, 1, 0, 1)}, 12, 4)
	for y := range 4 {
		for x := range 12 {
			if want := x < 4; in[y*12+x] != want {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, in[y*12+x], want)
			}
		}
	}
	if Rasterize(nil, 0, 10) != nil || Rasterize(nil, 10, -1) != nil {
		t.Error("empty picture should give nil")
	}
}

func BenchmarkRasterize1080p(b *testing.B) {
	polys := []Polygon{poly(0.1, 0.9, 0.5, 0.05, 0.95, 0.9), poly(0, 0, 1.0/3, 0, 1.0/3, 1, 0, 1)}
	for b.Loop() {
		Rasterize(polys, 1920, 1080)
	}
}
