package plategen

import (
	"image"
	"math"
	"slices"
)

// canvas is a linear-ish RGB float picture (0..1 per channel) that shapes are
// painted on with anti-aliasing, then degraded, then quantised once.
type canvas struct {
	w, h int
	pix  []float32 // r, g, b per pixel
	cov  []float32 // scratch coverage, w*h
}

// RGB is a colour with channels 0..1.
type RGB [3]float32

func newCanvas(w, h int, bg RGB) *canvas {
	c := &canvas{w: w, h: h, pix: make([]float32, 3*w*h), cov: make([]float32, w*h)}
	for i := 0; i < w*h; i++ {
		copy(c.pix[3*i:3*i+3], bg[:])
	}
	return c
}

// subRows is the vertical supersampling; horizontally coverage is exact.
const subRows = 5

type crossing struct {
	x   float64
	dir int
}

// fill paints s in colour col with opacity alpha (non-zero winding rule).
func (c *canvas) fill(s Shape, col RGB, alpha float32) {
	c.cover(s, func(y, x0, x1 int, row []float32) {
		c.blendRow(y, x0, x1, row, col, alpha)
	})
}

// blendRow paints coverage row[x0:x1] of line y.
func (c *canvas) blendRow(y, x0, x1 int, row []float32, col RGB, alpha float32) {
	base := y * c.w
	for x := x0; x < x1; x++ {
		a := row[x] * alpha
		if a <= 0 {
			continue
		}
		a = min(a, 1)
		p := c.pix[3*(base+x):]
		p[0] += (col[0] - p[0]) * a
		p[1] += (col[1] - p[1]) * a
		p[2] += (col[2] - p[2]) * a
	}
}

// cover computes s's anti-aliased coverage line by line and hands each
// touched line to fn (row is indexed by x and valid in x0..x1).
func (c *canvas) cover(s Shape, fn func(y, x0, x1 int, row []float32)) {
	lo, hi := s.Bounds()
	if math.IsInf(lo.X, 0) {
		return
	}
	y0 := max(0, int(math.Floor(lo.Y)))
	y1 := min(c.h, int(math.Ceil(hi.Y)))
	x0 := max(0, int(math.Floor(lo.X)))
	x1 := min(c.w, int(math.Ceil(hi.X)))
	if y0 >= y1 || x0 >= x1 {
		return
	}
	type edge struct{ ax, ay, bx, by float64 }
	var edges []edge
	for _, p := range s {
		for i := range p {
			a, b := p[i], p[(i+1)%len(p)]
			if a.Y != b.Y {
				edges = append(edges, edge{a.X, a.Y, b.X, b.Y})
			}
		}
	}
	var xs []crossing
	row := c.cov[:c.w]
	for y := y0; y < y1; y++ {
		clear(row[x0:x1])
		touched := false
		for k := 0; k < subRows; k++ {
			sy := float64(y) + (float64(k)+0.5)/subRows
			xs = xs[:0]
			for _, e := range edges {
				dir := 1
				ay, by, ax, bx := e.ay, e.by, e.ax, e.bx
				if ay > by {
					ay, by, ax, bx = by, ay, bx, ax
					dir = -1
				}
				if sy < ay || sy >= by {
					continue
				}
				xs = append(xs, crossing{ax + (sy-ay)*(bx-ax)/(by-ay), dir})
			}
			if len(xs) < 2 {
				continue
			}
			slices.SortFunc(xs, func(a, b crossing) int {
				switch {
				case a.x < b.x:
					return -1
				case a.x > b.x:
					return 1
				}
				return 0
			})
			wind := 0
			for i := 0; i+1 < len(xs); i++ {
				wind += xs[i].dir
				if wind != 0 {
					spanAdd(row, xs[i].x, xs[i+1].x, x0, x1, 1.0/subRows)
					touched = true
				}
			}
		}
		if touched {
			fn(y, x0, x1, row)
		}
	}
}

// spanAdd adds weight times the covered length of [a,b) to each pixel.
func spanAdd(row []float32, a, b float64, x0, x1 int, weight float32) {
	a = math.Max(a, float64(x0))
	b = math.Min(b, float64(x1))
	if b <= a {
		return
	}
	ia, ib := int(a), int(b)
	if ia == ib {
		row[ia] += float32(b-a) * weight
		return
	}
	row[ia] += float32(float64(ia+1)-a) * weight
	for x := ia + 1; x < ib && x < x1; x++ {
		row[x] += weight
	}
	if ib < x1 {
		row[ib] += float32(b-float64(ib)) * weight
	}
}

// rgba quantises the canvas.
func (c *canvas) rgba() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
	for i := 0; i < c.w*c.h; i++ {
		for k := 0; k < 3; k++ {
			img.Pix[4*i+k] = q8(c.pix[3*i+k])
		}
		img.Pix[4*i+3] = 255
	}
	return img
}

func q8(v float32) uint8 {
	v = v*255 + 0.5
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}
