// Package zones holds the polygons drawn on a camera's picture: analytics
// zones, exclusion masks and privacy masks. Points are fractions of the
// frame (0 to 1 from the top left), so a polygon fits the main and the sub
// stream alike. It is pure Go: the API validates here what analytics and
// the UI later draw.
package zones

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
)

// Point is a position in the frame, as fractions of its width and height.
type Point struct{ X, Y float64 }

// MarshalJSON writes [x, y].
func (p Point) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]float64{p.X, p.Y})
}

// UnmarshalJSON reads [x, y].
func (p *Point) UnmarshalJSON(b []byte) error {
	var xy [2]float64
	if err := json.Unmarshal(b, &xy); err != nil {
		return fmt.Errorf("a point is [x, y] with x and y fractions of the frame: %w", err)
	}
	p.X, p.Y = xy[0], xy[1]
	return nil
}

// Polygon is a closed outline: the last point joins the first.
type Polygon []Point

// Zone is a named area analytics reports on.
type Zone struct {
	Name   string  `json:"name"`
	Points Polygon `json:"points"`
}

// Bounds on what may be drawn.
const (
	MaxPoints   = 64
	MaxPolygons = 32
	// MaxMaskedShare is how much of the frame the privacy or exclusion masks
	// may cover together: a camera that shows nothing is a camera to remove.
	MaxMaskedShare = 0.95
	// minArea refuses slivers (three points on a line, a zone one pixel wide).
	minArea = 1e-4
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$`)

// ValidName reports whether name can name a zone: 1-40 letters, digits,
// spaces, '_', '.', '-', starting with a letter or digit.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// Validate checks that p is a simple polygon inside the frame: 3 to
// MaxPoints points, each coordinate a finite number in [0, 1], edges that do
// not cross, and an area that is not a sliver.
func (p Polygon) Validate() error {
	if len(p) < 3 || len(p) > MaxPoints {
		return fmt.Errorf("needs 3 to %d points, has %d", MaxPoints, len(p))
	}
	for i, q := range p {
		if math.IsNaN(q.X) || math.IsNaN(q.Y) || q.X < 0 || q.X > 1 || q.Y < 0 || q.Y > 1 {
			return fmt.Errorf("point %d (%g, %g) is outside the frame: x and y are fractions from 0 to 1", i+1, q.X, q.Y)
		}
	}
	for i := range p {
		if p[i] == p[(i+1)%len(p)] {
			return fmt.Errorf("points %d and %d are the same", i+1, (i+1)%len(p)+1)
		}
	}
	n := len(p)
	for i := range n {
		a, b := p[i], p[(i+1)%n]
		for j := i + 1; j < n; j++ {
			if j == i+1 || (i == 0 && j == n-1) {
				continue // neighbours share a point
			}
			c, d := p[j], p[(j+1)%n]
			if segmentsCross(a, b, c, d) {
				return fmt.Errorf("edge %d-%d crosses edge %d-%d: the outline must not cross itself", i+1, (i+1)%n+1, j+1, (j+1)%n+1)
			}
		}
	}
	if p.Area() < minArea {
		return fmt.Errorf("encloses almost nothing (%.5f of the frame)", p.Area())
	}
	return nil
}

// Area is the share of the frame the polygon encloses (shoelace formula).
func (p Polygon) Area() float64 {
	s := 0.0
	for i := range p {
		a, b := p[i], p[(i+1)%len(p)]
		s += a.X*b.Y - b.X*a.Y
	}
	return math.Abs(s) / 2
}

// Contains reports whether q is inside p (even-odd rule).
func (p Polygon) Contains(q Point) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		a, b := p[i], p[j]
		if (a.Y > q.Y) != (b.Y > q.Y) && q.X < (b.X-a.X)*(q.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// segmentsCross reports whether segments ab and cd touch or cross.
func segmentsCross(a, b, c, d Point) bool {
	d1, d2 := orient(c, d, a), orient(c, d, b)
	d3, d4 := orient(a, b, c), orient(a, b, d)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(c, d, a)) || (d2 == 0 && onSegment(c, d, b)) ||
		(d3 == 0 && onSegment(a, b, c)) || (d4 == 0 && onSegment(a, b, d))
}

func orient(a, b, c Point) float64 { return (b.X-a.X)*(c.Y-a.Y) - (b.Y-a.Y)*(c.X-a.X) }

func onSegment(a, b, q Point) bool {
	return min(a.X, b.X) <= q.X && q.X <= max(a.X, b.X) && min(a.Y, b.Y) <= q.Y && q.Y <= max(a.Y, b.Y)
}

// CoveredShare estimates the share of the frame covered by the union of
// polygons, on a 200x200 grid (enough to refuse a mask over the whole frame).
func CoveredShare(polys []Polygon) float64 {
	const n = 200
	covered := 0
	for y := range n {
		for x := range n {
			q := Point{X: (float64(x) + 0.5) / n, Y: (float64(y) + 0.5) / n}
			for _, p := range polys {
				if p.Contains(q) {
					covered++
					break
				}
			}
		}
	}
	return float64(covered) / (n * n)
}

// ValidateSet checks a camera's zones, exclusion masks and privacy masks
// together. Errors name the field and the polygon ("zones[2]: ...").
func ValidateSet(zs []Zone, exclusions, privacy []Polygon) error {
	if len(zs) > MaxPolygons || len(exclusions) > MaxPolygons || len(privacy) > MaxPolygons {
		return fmt.Errorf("at most %d zones, %d exclusion masks and %d privacy masks", MaxPolygons, MaxPolygons, MaxPolygons)
	}
	seen := map[string]bool{}
	for i, z := range zs {
		if !ValidName(z.Name) {
			return fmt.Errorf("zones[%d].name: %q must be 1-40 letters, digits, spaces, '_', '.' or '-'", i, z.Name)
		}
		if seen[z.Name] {
			return fmt.Errorf("zones[%d].name: %q is used twice", i, z.Name)
		}
		seen[z.Name] = true
		if err := z.Points.Validate(); err != nil {
			return fmt.Errorf("zones[%d] (%s): %w", i, z.Name, err)
		}
	}
	for field, ps := range map[string][]Polygon{"exclusions": exclusions, "privacy": privacy} {
		for i, p := range ps {
			if err := p.Validate(); err != nil {
				return fmt.Errorf("%s[%d]: %w", field, i, err)
			}
		}
	}
	masks := append(append([]Polygon{}, exclusions...), privacy...)
	if share := CoveredShare(masks); share > MaxMaskedShare {
		return fmt.Errorf("exclusions, privacy: the masks cover %.0f%% of the frame (at most %.0f%%): a camera that shows nothing should be switched off instead",
			100*share, 100*MaxMaskedShare)
	}
	return nil
}
