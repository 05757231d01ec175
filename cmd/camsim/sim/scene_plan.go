package sim

import (
	"image"
	"math"

	"github.com/vigil-cctv/vigil/ingest/zones"
)

// Timing of the scenes (seconds).
const (
	sceneSeconds    = 60 // loop length of every scene but street
	sceneTamperFrom = 30 // tamper scenes are tampered from here to the end of the loop
)

// Look of the scenes: low temporal noise, the picture shift of "moved" and the blur of
// "defocus" (sigma at 640 pixels wide, scaled with the width).
const (
	sceneNoise        = 3
	sceneMovedShare   = 0.16
	sceneBlurSigma640 = 10.0
)

// sceneZones are the zones of the zone and tamper scenes, in frame fractions.
var sceneZones = []zones.Zone{
	{Name: "Doorway", Points: zones.Polygon{{X: 0.08, Y: 0.17}, {X: 0.22, Y: 0.17}, {X: 0.25, Y: 0.42}, {X: 0.05, Y: 0.42}}},
	{Name: "Road", Points: zones.Polygon{{X: 0.36, Y: 0.48}, {X: 0.94, Y: 0.48}, {X: 0.98, Y: 0.96}, {X: 0.30, Y: 0.96}}},
}

// sceneObject is a box moving in a straight line: its top left goes from (X0, Y0) at T0 to
// (X1, Y1) at T1 (seconds); it is not drawn outside [T0, T1]. Sizes and positions are
// fractions of the frame.
type sceneObject struct {
	color          string
	W, H           float64
	X0, Y0, X1, Y1 float64
	T0, T1         float64
}

// Sizes of the boxes.
const (
	personW, personH = 0.045, 0.16
	carW, carH       = 0.22, 0.15
	cradleW, cradleH = 0.07, 0.07
)

// Colours with a strong luma contrast to what they cross.
const (
	hiVis     = "0xf0e020" // a person, on brick, the door, the pavement and the sky
	whiteCar  = "0xf0f0f0" // on the road
	darkCar   = "0x101820" // on the road, and the window cleaner's cradle on the office block
	coverGrey = "0x101010"
	hedge     = "0x2e5a2e" // what the moved camera sees on its left
	door      = "0x3a2a20"
)

// sceneObjects is the schedule of one loop. Quiet gaps: >= 3 s between objects in frame,
// >= 6 s between events in a zone, nothing in frame from 26 to 35 s (around the tamper
// start) and from 57 s to 3 s into the next loop (a seamless loop).
var sceneObjects = []sceneObject{
	// a person walks out of the door and off the left edge (Doorway)
	{color: hiVis, W: personW, H: personH, X0: 0.13, Y0: 0.20, X1: -0.06, Y1: 0.23, T0: 3, T1: 9},
	// a car drives left to right (Road)
	{color: whiteCar, W: carW, H: carH, X0: -0.24, Y0: 0.56, X1: 1.02, Y1: 0.56, T0: 12, T1: 18},
	// a window cleaner's cradle goes down the office block (outside both zones)
	{color: darkCar, W: cradleW, H: cradleH, X0: 0.80, Y0: 0.04, X1: 0.80, Y1: 0.24, T0: 21, T1: 26},
	// a car drives right to left (Road)
	{color: darkCar, W: carW, H: carH, X0: 1.02, Y0: 0.74, X1: -0.24, Y1: 0.74, T0: 35, T1: 41},
	// a person walks in from the left edge and into the door (Doorway)
	{color: hiVis, W: personW, H: personH, X0: -0.06, Y0: 0.23, X1: 0.13, Y1: 0.20, T0: 44, T1: 50},
	// the cradle goes back up (outside both zones)
	{color: darkCar, W: cradleW, H: cradleH, X0: 0.80, Y0: 0.24, X1: 0.80, Y1: 0.04, T0: 53.5, T1: 57},
}

// even rounds v pixels to the nearest even integer (the chroma grid of yuv420p).
func even(v float64) int { return 2 * int(math.Round(v/2)) }

// frameAt is the frame shown at t seconds.
func frameAt(t float64, fps int) int { return int(math.Round(t * float64(fps))) }

// floorDiv divides rounding towards minus infinity, like floor() in an ffmpeg expression.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// objectPath is a sceneObject in pixels and frames for one stream. Positions stay even:
// x(f) = x0 + 2*floor((f-f0)*dx2/(f1-f0)), exact in integers and in ffmpeg's doubles.
type objectPath struct {
	color    string
	w, h     int
	x0, y0   int
	dx2, dy2 int // half the travel
	f0, f1   int
}

func (o sceneObject) path(spec StreamSpec) objectPath {
	W, H := float64(spec.Width), float64(spec.Height)
	x0, y0 := even(o.X0*W), even(o.Y0*H)
	return objectPath{
		color: o.color,
		w:     max(even(o.W*W), 2), h: max(even(o.H*H), 2),
		x0: x0, y0: y0,
		dx2: (even(o.X1*W) - x0) / 2, dy2: (even(o.Y1*H) - y0) / 2,
		f0: frameAt(o.T0, spec.FPS), f1: frameAt(o.T1, spec.FPS),
	}
}

// rect is the box at frame f (possibly partly outside the picture); ok is false when the
// object is not drawn then.
func (p objectPath) rect(f int) (r image.Rectangle, ok bool) {
	if f < p.f0 || f > p.f1 {
		return image.Rectangle{}, false
	}
	n := max(p.f1-p.f0, 1)
	x := p.x0 + 2*floorDiv((f-p.f0)*p.dx2, n)
	y := p.y0 + 2*floorDiv((f-p.f0)*p.dy2, n)
	return image.Rect(x, y, x+p.w, y+p.h), true
}

// movedShift is how far "moved" shifts the picture right, in pixels.
func movedShift(spec StreamSpec) int { return even(sceneMovedShare * float64(spec.Width)) }

// blurSigma is the Gaussian blur of "defocus".
func blurSigma(spec StreamSpec) float64 { return sceneBlurSigma640 * float64(spec.Width) / 640 }
