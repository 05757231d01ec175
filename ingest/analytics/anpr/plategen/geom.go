package plategen

import "math"

// Pt is a point: millimetres on a plate, pixels in a picture.
type Pt struct{ X, Y float64 }

// Poly is a closed polygon. Shapes are lists of polygons filled with the
// non-zero winding rule, so pieces drawn with the same orientation unite and
// an inner ring drawn the other way round is a hole.
type Poly []Pt

// Shape is a set of polygons filled together.
type Shape []Poly

// area is the signed area (positive clockwise on screen, y down).
func (p Poly) area() float64 {
	a := 0.0
	for i := range p {
		q, r := p[i], p[(i+1)%len(p)]
		a += q.X*r.Y - r.X*q.Y
	}
	return a / 2
}

func (p Poly) reversed() Poly {
	out := make(Poly, len(p))
	for i, q := range p {
		out[len(p)-1-i] = q
	}
	return out
}

// positive returns p oriented with a positive area.
func (p Poly) positive() Poly {
	if p.area() < 0 {
		return p.reversed()
	}
	return p
}

// Map applies f to every point of the shape.
func (s Shape) Map(f func(Pt) Pt) Shape {
	out := make(Shape, len(s))
	for i, p := range s {
		q := make(Poly, len(p))
		for j, v := range p {
			q[j] = f(v)
		}
		out[i] = q
	}
	return out
}

// Bounds is the shape's axis-aligned bounding box (min, max).
func (s Shape) Bounds() (Pt, Pt) {
	lo := Pt{math.Inf(1), math.Inf(1)}
	hi := Pt{math.Inf(-1), math.Inf(-1)}
	for _, p := range s {
		for _, v := range p {
			lo.X, lo.Y = math.Min(lo.X, v.X), math.Min(lo.Y, v.Y)
			hi.X, hi.Y = math.Max(hi.X, v.X), math.Max(hi.Y, v.Y)
		}
	}
	return lo, hi
}

// rect is an axis-aligned rectangle.
func rect(x0, y0, x1, y1 float64) Poly {
	return Poly{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
}

// ellipse is a closed ellipse of n points.
func ellipse(cx, cy, rx, ry float64, n int) Poly {
	p := make(Poly, n)
	for i := range p {
		a := 2 * math.Pi * float64(i) / float64(n)
		p[i] = Pt{cx + rx*math.Cos(a), cy + ry*math.Sin(a)}
	}
	return p
}

// roundRect is a rectangle with elliptical corners of radius r.
func roundRect(x0, y0, x1, y1, r float64) Poly {
	r = math.Min(r, math.Min(x1-x0, y1-y0)/2)
	var p Poly
	corner := func(cx, cy, a0 float64) {
		for i := 0; i <= 6; i++ {
			a := (a0 + 90*float64(i)/6) * math.Pi / 180
			p = append(p, Pt{cx + r*math.Cos(a), cy + r*math.Sin(a)})
		}
	}
	corner(x1-r, y0+r, 270)
	corner(x1-r, y1-r, 0)
	corner(x0+r, y1-r, 90)
	corner(x0+r, y0+r, 180)
	return p
}

// clip cuts p to the rectangle lo..hi (Sutherland-Hodgman).
func clip(p Poly, lo, hi Pt) Poly {
	type edge func(Pt) float64 // >= 0 inside
	edges := []edge{
		func(q Pt) float64 { return q.X - lo.X },
		func(q Pt) float64 { return hi.X - q.X },
		func(q Pt) float64 { return q.Y - lo.Y },
		func(q Pt) float64 { return hi.Y - q.Y },
	}
	for _, e := range edges {
		if len(p) == 0 {
			return nil
		}
		var out Poly
		for i := range p {
			a, b := p[i], p[(i+1)%len(p)]
			da, db := e(a), e(b)
			if da >= 0 {
				out = append(out, a)
			}
			if (da >= 0) != (db >= 0) {
				t := da / (da - db)
				out = append(out, Pt{a.X + (b.X-a.X)*t, a.Y + (b.Y-a.Y)*t})
			}
		}
		p = out
	}
	return p
}

// stroke outlines an open polyline of width w with flat (butt) ends and
// mitred joins; smooth curves are many short segments whose mitres vanish.
func stroke(pts []Pt, w float64) Poly {
	pts = dedup(pts)
	n := len(pts)
	if n < 2 {
		return nil
	}
	left := make([]Pt, n)
	right := make([]Pt, n)
	for i := range pts {
		var d Pt
		switch {
		case i == 0:
			d = unit(sub(pts[1], pts[0]))
			d = Pt{-d.Y, d.X}
		case i == n-1:
			d = unit(sub(pts[n-1], pts[n-2]))
			d = Pt{-d.Y, d.X}
		default:
			d = miter(pts[i-1], pts[i], pts[i+1])
		}
		left[i] = Pt{pts[i].X + d.X*w/2, pts[i].Y + d.Y*w/2}
		right[i] = Pt{pts[i].X - d.X*w/2, pts[i].Y - d.Y*w/2}
	}
	out := make(Poly, 0, 2*n)
	out = append(out, left...)
	for i := n - 1; i >= 0; i-- {
		out = append(out, right[i])
	}
	return out.positive()
}

// ring outlines a closed polyline of width w: the outer edge and, the other
// way round, the inner one (a hole).
func ring(pts []Pt, w float64) Shape {
	pts = dedup(pts)
	if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	n := len(pts)
	a := make(Poly, n)
	b := make(Poly, n)
	for i := range pts {
		d := miter(pts[(i+n-1)%n], pts[i], pts[(i+1)%n])
		a[i] = Pt{pts[i].X + d.X*w/2, pts[i].Y + d.Y*w/2}
		b[i] = Pt{pts[i].X - d.X*w/2, pts[i].Y - d.Y*w/2}
	}
	outer, inner := a, b
	if math.Abs(b.area()) > math.Abs(a.area()) {
		outer, inner = b, a
	}
	// both offsets run the same way round; the hole must run the other way
	outer = outer.positive()
	if inner.area() > 0 {
		inner = inner.reversed()
	}
	return Shape{outer, inner}
}

// miter is the offset direction at b scaled so that both edges keep their
// width (capped for sharp corners).
func miter(a, b, c Pt) Pt {
	d1 := unit(sub(b, a))
	d2 := unit(sub(c, b))
	n1 := Pt{-d1.Y, d1.X}
	n2 := Pt{-d2.Y, d2.X}
	m := unit(Pt{n1.X + n2.X, n1.Y + n2.Y})
	cos := m.X*n1.X + m.Y*n1.Y
	if cos < 0.35 {
		cos = 0.35
	}
	return Pt{m.X / cos, m.Y / cos}
}

func dedup(pts []Pt) []Pt {
	out := make([]Pt, 0, len(pts))
	for _, p := range pts {
		if len(out) > 0 && math.Hypot(p.X-out[len(out)-1].X, p.Y-out[len(out)-1].Y) < 1e-6 {
			continue
		}
		out = append(out, p)
	}
	return out
}

func sub(a, b Pt) Pt { return Pt{a.X - b.X, a.Y - b.Y} }

func unit(p Pt) Pt {
	l := math.Hypot(p.X, p.Y)
	if l == 0 {
		return Pt{1, 0}
	}
	return Pt{p.X / l, p.Y / l}
}

// path builds a centre line from straight lines and elliptical arcs.
type path []Pt

func (p path) to(x, y float64) path { return append(p, Pt{x, y}) }

// arc adds an elliptical arc around (cx, cy) from angle a0 to a1 in degrees
// (0 right, 90 down, on screen).
func (p path) arc(cx, cy, rx, ry, a0, a1 float64) path {
	n := int(math.Ceil(math.Abs(a1-a0)/6)) + 1
	for i := 0; i <= n; i++ {
		a := (a0 + (a1-a0)*float64(i)/float64(n)) * math.Pi / 180
		p = append(p, Pt{cx + rx*math.Cos(a), cy + ry*math.Sin(a)})
	}
	return p
}
