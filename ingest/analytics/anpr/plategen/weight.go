package plategen

import "math"

// fillWeighted paints s like fill, with its edges moved outwards by d
// pixels (inwards if negative): bolder or lighter ink, as plates are
// printed and as cameras and binarisers see them. The coverage is blurred
// and re-thresholded where a blurred edge crosses d.
func (c *canvas) fillWeighted(s Shape, col RGB, d, sigma float64) {
	if math.Abs(d) < 0.05 {
		c.fill(s, col, 1)
		return
	}
	m := make([]float32, c.w*c.h)
	c.cover(s, func(y, x0, x1 int, row []float32) {
		copy(m[y*c.w+x0:y*c.w+x1], row[x0:x1])
	})
	blur1(m, c.w, c.h, sigma)
	t := phi(-d / sigma)                                                     // the blurred value at the new edge
	slope := math.Exp(-d*d/(2*sigma*sigma)) / (sigma * math.Sqrt(2*math.Pi)) // per pixel there
	row := make([]float32, c.w)
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			v := (float64(m[y*c.w+x])-t)/slope + 0.5
			row[x] = float32(math.Max(0, math.Min(1, v)))
		}
		c.blendRow(y, 0, c.w, row, col, 1)
	}
}

func phi(x float64) float64 { return 0.5 * (1 + math.Erf(x/math.Sqrt2)) }

// blur1 is a separable Gaussian blur of a one-channel picture.
func blur1(m []float32, w, h int, sigma float64) {
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	sum := float32(0)
	for i := range k {
		x := float64(i - r)
		k[i] = float32(math.Exp(-x * x / (2 * sigma * sigma)))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float32, len(m))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float32
			for i, v := range k {
				s += v * m[y*w+min(max(x+i-r, 0), w-1)]
			}
			tmp[y*w+x] = s
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float32
			for i, v := range k {
				s += v * tmp[min(max(y+i-r, 0), h-1)*w+x]
			}
			m[y*w+x] = s
		}
	}
}
