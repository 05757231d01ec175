package plategen

import "math"

// Homography maps plate millimetres (origin at the plate's centre) to
// picture pixels: a plane seen by a pinhole camera.
type Homography [9]float64

// Apply maps p.
func (h Homography) Apply(p Pt) Pt {
	w := h[6]*p.X + h[7]*p.Y + h[8]
	return Pt{(h[0]*p.X + h[1]*p.Y + h[2]) / w, (h[3]*p.X + h[4]*p.Y + h[5]) / w}
}

// Pose places a plate in a picture.
type Pose struct {
	Centre     Pt      // pixel position of the plate's centre
	CharHeight float64 // pixels a character is high, seen head on
	Yaw        float64 // degrees, turn about the vertical axis (±30 in use)
	Pitch      float64 // degrees, camera above (+) or below the plate (±15)
	Roll       float64 // degrees, in-picture rotation (±8)
	// Distance is the camera's distance in plate widths (perspective
	// strength); 0 means 4.
	Distance float64
	// Aspect stretches the picture horizontally (0 means 1): cameras with
	// non-square pixels, and the spread of character widths seen on real
	// plates.
	Aspect float64
}

func (p Pose) aspect() float64 {
	if p.Aspect <= 0 {
		return 1
	}
	return p.Aspect
}

// camera is the pose's rotation, distance D (mm) and focal length f (px).
func (p Pose) camera() (r [9]float64, D, f float64) {
	d := p.Distance
	if d <= 0 {
		d = 4
	}
	D = d * PlateW
	f = p.CharHeight / GlyphH * D // pixels per mm at the plate's centre, times D
	yaw, pitch, roll := p.Yaw*math.Pi/180, p.Pitch*math.Pi/180, p.Roll*math.Pi/180
	// R = Rz(roll) * Rx(pitch) * Ry(yaw)
	cy, sy := math.Cos(yaw), math.Sin(yaw)
	cp, sp := math.Cos(pitch), math.Sin(pitch)
	cr, sr := math.Cos(roll), math.Sin(roll)
	ry := [9]float64{cy, 0, sy, 0, 1, 0, -sy, 0, cy}
	rx := [9]float64{1, 0, 0, 0, cp, -sp, 0, sp, cp}
	rz := [9]float64{cr, -sr, 0, sr, cr, 0, 0, 0, 1}
	return mul3(rz, mul3(rx, ry)), D, f
}

// Project maps a point in the plate's space (mm; x right, y down, z away
// from the camera, behind the plate) to pixels. Vehicles are drawn with it.
func (p Pose) Project(x, y, z float64) Pt {
	r, D, f := p.camera()
	X := r[0]*x + r[1]*y + r[2]*z
	Y := r[3]*x + r[4]*y + r[5]*z
	Z := r[6]*x + r[7]*y + r[8]*z + D
	Z = math.Max(Z, 1)
	return Pt{p.Centre.X + p.aspect()*f*X/Z, p.Centre.Y + f*Y/Z}
}

// Homography is the pose's mapping from plate millimetres to pixels.
func (p Pose) Homography() Homography {
	r, D, f := p.camera()
	cx, cyy := p.Centre.X, p.Centre.Y
	return Homography{
		p.aspect()*f*r[0] + cx*r[6], p.aspect()*f*r[1] + cx*r[7], cx * D,
		f*r[3] + cyy*r[6], f*r[4] + cyy*r[7], cyy * D,
		r[6], r[7], D,
	}
}

func mul3(a, b [9]float64) [9]float64 {
	var c [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[3*i+j] += a[3*i+k] * b[3*k+j]
			}
		}
	}
	return c
}
