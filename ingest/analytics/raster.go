package analytics

import (
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// rasterize marks the pixels of a w×h picture whose centres lie inside any
// of polys.
func rasterize(polys []zones.Polygon, w, h int) []bool {
	in := make([]bool, w*h)
	for _, p := range polys {
		minY, maxY := 1.0, 0.0
		for _, q := range p {
			minY, maxY = min(minY, q.Y), max(maxY, q.Y)
		}
		y0, y1 := max(0, int(minY*float64(h))-1), min(h-1, int(maxY*float64(h))+1)
		for y := y0; y <= y1; y++ {
			for x := range w {
				if !in[y*w+x] && p.Contains(zones.Point{X: (float64(x) + 0.5) / float64(w), Y: (float64(y) + 0.5) / float64(h)}) {
					in[y*w+x] = true
				}
			}
		}
	}
	return in
}

// zoneMap says, for each pixel of the analysed picture, which zones it is
// in (bit i for zone i; at most zones.MaxPolygons zones), and how many
// pixels each zone has.
type zoneMap struct {
	names []string
	bits  []uint64
	area  []int
}

func newZoneMap(zs []zones.Zone, w, h int) *zoneMap {
	m := &zoneMap{bits: make([]uint64, w*h), area: make([]int, len(zs))}
	for i, z := range zs {
		m.names = append(m.names, z.Name)
		for px, in := range rasterize([]zones.Polygon{z.Points}, w, h) {
			if in {
				m.bits[px] |= 1 << i
				m.area[i]++
			}
		}
	}
	return m
}
