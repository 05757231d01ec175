package analytics

import (
	"github.com/vigil-cctv/vigil/ingest/zones"
)

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
		for px, in := range zones.Rasterize([]zones.Polygon{z.Points}, w, h) {
			if in {
				m.bits[px] |= 1 << i
				m.area[i]++
			}
		}
	}
	return m
}
