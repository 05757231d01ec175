package zones

import "slices"

// Rasterize marks the pixels of a w×h picture (row-major, w*h entries)
// whose centres lie inside any of polys, by the even-odd rule of Contains:
// a pixel is marked exactly when Contains says its centre is inside one of
// the polygons. It scans each row once per polygon (the crossings of the
// row's centre line with the edges, as Contains computes them), so a
// 1920x1080 mask costs milliseconds, not a point-in-polygon test per pixel.
// A zero or negative size gives nil.
func Rasterize(polys []Polygon, w, h int) []bool {
	if w <= 0 || h <= 0 {
		return nil
	}
	in := make([]bool, w*h)
	var xs []float64
	for _, p := range polys {
		if len(p) < 3 {
			continue
		}
		minY, maxY := 1.0, 0.0
		for _, q := range p {
			minY, maxY = min(minY, q.Y), max(maxY, q.Y)
		}
		y0, y1 := max(0, int(minY*float64(h))-1), min(h-1, int(maxY*float64(h))+1)
		for y := y0; y <= y1; y++ {
			qy := (float64(y) + 0.5) / float64(h)
			// The x of every edge crossing the centre line, computed as
			// Contains does, so both agree to the last bit.
			xs = xs[:0]
			for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
				a, b := p[i], p[j]
				if (a.Y > qy) != (b.Y > qy) {
					xs = append(xs, (b.X-a.X)*(qy-a.Y)/(b.Y-a.Y)+a.X)
				}
			}
			if len(xs) == 0 {
				continue
			}
			slices.Sort(xs)
			// A centre qx is inside when an odd number of crossings lie
			// strictly to its right (qx < x).
			row := in[y*w : (y+1)*w]
			k := 0 // crossings at or left of qx
			for x := range w {
				qx := (float64(x) + 0.5) / float64(w)
				for k < len(xs) && xs[k] <= qx {
					k++
				}
				if (len(xs)-k)%2 == 1 {
					row[x] = true
				}
			}
		}
	}
	return in
}
