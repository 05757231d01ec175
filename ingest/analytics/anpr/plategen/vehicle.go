package plategen

import (
	"image"
	"math"
)

// Vehicle is a car or van seen from the front or rear, carrying a plate.
// Its Pose places the plate in the picture; the body is drawn around the
// plate in the same 3-D space, so moving Pose.Centre and growing
// Pose.CharHeight frame by frame makes a vehicle pass the camera.
type Vehicle struct {
	Plate  PlateSpec // Plate.Rear should be !Front
	Front  bool      // the camera sees its front (headlights, grille)
	Colour RGB
	Van    bool // taller, boxier body
	Pose   Pose
	// PlateHeight is the plate centre's height above the road (mm; 0: 500).
	PlateHeight float64
}

// body dimensions in mm.
type bodyDims struct {
	w, l, sill, belt, roof, cabinFront, cabinBack, cabinInset float64
}

func (v Vehicle) dims() bodyDims {
	if v.Van {
		return bodyDims{w: 1950, l: 5000, sill: 250, belt: 1100, roof: 2300, cabinFront: 600, cabinBack: 5000, cabinInset: 60}
	}
	return bodyDims{w: 1800, l: 4300, sill: 170, belt: 950, roof: 1450, cabinFront: 750, cabinBack: 3200, cabinInset: 130}
}

// face is a flat polygon of the body with its outward normal.
type face struct {
	pts    [][3]float64
	normal [3]float64
	col    RGB
}

// Bounds is the vehicle's pixel bounds (its whole box, seen or not).
func (v Vehicle) Bounds() image.Rectangle {
	var s Shape
	for _, f := range v.faces(v.Colour, RGB{}) {
		s = append(s, v.project(f.pts))
	}
	return bounds(s)
}

func (v Vehicle) project(pts [][3]float64) Poly {
	out := make(Poly, len(pts))
	for i, q := range pts {
		out[i] = v.Pose.Project(q[0], q[1], q[2])
	}
	return out
}

// road is the road's y in plate coordinates (the plate's height above it).
func (v Vehicle) road() float64 {
	if v.PlateHeight <= 0 {
		return 500
	}
	return v.PlateHeight
}

// faces is the body as flat polygons, lower body first, then the cabin.
func (v Vehicle) faces(col, glass RGB) []face {
	d := v.dims()
	g := v.road()
	x := d.w / 2
	shade := func(k float32) RGB { return RGB{col[0] * k, col[1] * k, col[2] * k} }
	ci := d.cabinInset
	return []face{
		// lower body: front face, sides, top (the cabin, drawn after, stands on it)
		{[][3]float64{{-x, g - d.belt, 0}, {x, g - d.belt, 0}, {x, g - d.sill, 0}, {-x, g - d.sill, 0}}, [3]float64{0, 0, -1}, col},
		{[][3]float64{{x, g - d.belt, 0}, {x, g - d.belt, d.l}, {x, g - d.sill, d.l}, {x, g - d.sill, 0}}, [3]float64{1, 0, 0}, shade(0.8)},
		{[][3]float64{{-x, g - d.belt, 0}, {-x, g - d.belt, d.l}, {-x, g - d.sill, d.l}, {-x, g - d.sill, 0}}, [3]float64{-1, 0, 0}, shade(0.8)},
		{[][3]float64{{-x, g - d.belt, 0}, {x, g - d.belt, 0}, {x, g - d.belt, d.l}, {-x, g - d.belt, d.l}}, [3]float64{0, -1, 0}, shade(1.1)},
		// cabin: windscreen, side windows, roof
		{[][3]float64{{-x + ci, g - d.roof, d.cabinFront + 250}, {x - ci, g - d.roof, d.cabinFront + 250}, {x - ci, g - d.belt, d.cabinFront}, {-x + ci, g - d.belt, d.cabinFront}}, [3]float64{0, 0, -1}, glass},
		{[][3]float64{{x - ci, g - d.roof, d.cabinFront + 250}, {x - ci, g - d.roof, d.cabinBack}, {x - ci, g - d.belt, d.cabinBack}, {x - ci, g - d.belt, d.cabinFront}}, [3]float64{1, 0, 0}, glass},
		{[][3]float64{{-x + ci, g - d.roof, d.cabinFront + 250}, {-x + ci, g - d.roof, d.cabinBack}, {-x + ci, g - d.belt, d.cabinBack}, {-x + ci, g - d.belt, d.cabinFront}}, [3]float64{-1, 0, 0}, glass},
		{[][3]float64{{-x + ci, g - d.roof, d.cabinFront + 250}, {x - ci, g - d.roof, d.cabinFront + 250}, {x - ci, g - d.roof, d.cabinBack}, {-x + ci, g - d.roof, d.cabinBack}}, [3]float64{0, -1, 0}, shade(1.05)},
	}
}

// drawVehicle paints the body, lights and plate; it returns the plate's
// drawing and the body's pixel bounds.
func drawVehicle(c *canvas, v Vehicle, light Light) (drawn, image.Rectangle) {
	d := v.dims()
	g := v.road()
	ph := g
	x := d.w / 2
	col := v.Colour
	if light == NightIR {
		k := 0.15 + 0.35*(col[0]+col[1]+col[2])/3
		col = RGB{k, k, k}
	}
	shade := func(k float32) RGB { return RGB{col[0] * k, col[1] * k, col[2] * k} }
	glass := RGB{0.09, 0.1, 0.12}
	if light == NightIR {
		glass = RGB{0.05, 0.05, 0.05}
	}
	faces := v.faces(col, glass)
	cam := v.Pose.cameraPos()
	p := v.Pose
	proj := v.project
	var body Shape
	// shadow on the road under the car
	c.fill(Shape{proj([][3]float64{{-x - 100, g, -150}, {x + 100, g, -150}, {x + 100, g, d.l}, {-x - 100, g, d.l}}).positive()}, RGB{0.05, 0.05, 0.05}, 0.6)
	// wheels under the sill, at the face's end of the body
	for _, sx := range []float64{-1, 1} {
		w := proj([][3]float64{{sx * (x - 350), g - d.sill - 150, 250}, {sx * (x - 20), g - d.sill - 150, 250}, {sx * (x - 20), g, 250}, {sx * (x - 350), g, 250}})
		c.fill(Shape{w.positive()}, RGB{0.03, 0.03, 0.03}, 1)
	}
	for _, f := range faces {
		q := f.pts[0]
		if (cam[0]-q[0])*f.normal[0]+(cam[1]-q[1])*f.normal[1]+(cam[2]-q[2])*f.normal[2] <= 0 {
			continue // facing away
		}
		s := Shape{proj(f.pts).positive()}
		c.fill(s, f.col, 1)
		body = append(body, s...)
	}
	// front-face details: bumper, lights, grille
	flat := func(x0, y0, x1, y1 float64) Shape {
		return Shape{proj([][3]float64{{x0, y0, 0}, {x1, y0, 0}, {x1, y1, 0}, {x0, y1, 0}}).positive()}
	}
	c.fill(flat(-x-20, g-d.sill-380, x+20, g-d.sill), shade(0.55), 1)
	lampY0, lampY1 := g-d.belt+60, g-d.belt+230
	lamp := RGB{0.75, 0.75, 0.7}
	if !v.Front {
		lamp = RGB{0.6, 0.05, 0.05}
	}
	if light != Day { // lights on
		lamp = RGB{1.6, 1.55, 1.4}
		if !v.Front {
			lamp = RGB{1.4, 0.15, 0.1}
		}
		if light == NightIR {
			lamp = RGB{1.5, 1.5, 1.5}
		}
	}
	for _, sx := range []float64{-1, 1} {
		c.fill(flat(sx*(x-60), lampY0, sx*(x-330), lampY1), lamp, 1)
	}
	if v.Front {
		c.fill(flat(-x+420, lampY0+20, x-420, g-ph-90), RGB{0.06, 0.06, 0.07}, 1)
	}
	dr := drawPlate(c, v.Plate, p.Homography(), light == NightIR)
	return dr, bounds(body)
}

// cameraPos is the camera's position in the plate's space.
func (p Pose) cameraPos() [3]float64 {
	r, D, _ := p.camera()
	return [3]float64{-D * r[6], -D * r[7], -D * r[8]}
}

// plateBox is the axis-aligned pixel box of a plate's corners.
func plateBox(q [4]Pt) image.Rectangle {
	lo, hi := Shape{q[:]}.Bounds()
	return image.Rect(int(math.Floor(lo.X)), int(math.Floor(lo.Y)), int(math.Ceil(hi.X)), int(math.Ceil(hi.Y)))
}
