package plategen

import (
	"image"
	"math"
	"math/rand/v2"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

// Shot is a degraded close-up of one plate on a vehicle's paint, and where
// its parts landed.
type Shot struct {
	Image  *image.RGBA
	Quad   [4]Pt             // plate corners (TL, TR, BR, BL)
	Glyphs []image.Rectangle // character ink bounds, in text order
	Chars  []byte
	Bolts  []image.Rectangle
	Dirt   []image.Rectangle
	Band   image.Rectangle
}

// RenderShot draws spec at pose (its Centre is ignored: the picture is cut
// around the plate with a margin) on paint colour bg, then degrades it.
func RenderShot(spec PlateSpec, pose Pose, cond Conditions, bg RGB) Shot {
	pose.Centre = Pt{}
	h := pose.Homography()
	var quad Shape
	q := Poly{}
	for _, p := range []Pt{{-PlateW / 2, -PlateH / 2}, {PlateW / 2, -PlateH / 2}, {PlateW / 2, PlateH / 2}, {-PlateW / 2, PlateH / 2}} {
		q = append(q, h.Apply(p))
	}
	quad = Shape{q}
	lo, hi := quad.Bounds()
	m := 0.35*(hi.Y-lo.Y) + 4
	pose.Centre = Pt{m - lo.X, m - lo.Y}
	w, ht := int(math.Ceil(hi.X-lo.X+2*m)), int(math.Ceil(hi.Y-lo.Y+2*m))
	ir := cond.Light == NightIR
	if ir {
		k := 0.1 + 0.3*(bg[0]+bg[1]+bg[2])/3
		bg = RGB{k, k, k}
	}
	c := newCanvas(w, ht, bg)
	// a bumper-like darker band under the plate and a body crease above it
	c.fill(Shape{rect(0, float64(ht)*0.5, float64(w), float64(ht))}, RGB{bg[0] * 0.6, bg[1] * 0.6, bg[2] * 0.6}, 0.5)
	d := drawPlate(c, spec, pose.Homography(), ir)
	return Shot{Image: degrade(c, cond), Quad: d.Quad, Glyphs: d.Glyphs, Chars: d.Chars,
		Bolts: d.Bolts, Dirt: d.Dirt, Band: d.Band}
}

// RandomPlate is a plate of format f (a random one if f is nil) with a
// random look. The text follows the format's character classes.
func RandomPlate(rng *rand.Rand, f *ukplate.Format) PlateSpec {
	if f == nil {
		f = &ukplate.Formats[rng.IntN(len(ukplate.Formats))]
	}
	s := randomLook(rng)
	s.Text = ukplate.Random(rng, *f)
	return s
}

// randomLook is everything about a plate but its text.
func randomLook(rng *rand.Rand) PlateSpec {
	s := PlateSpec{Rear: rng.IntN(2) == 0, Band: rng.Float64() < 0.4, Border: rng.Float64() < 0.2, Seed: rng.Uint64()}
	switch r := rng.Float64(); {
	case r < 0.45:
	case r < 0.9:
		s.Bolts = 2
	default:
		s.Bolts = 4
	}
	if rng.Float64() < 0.45 {
		s.Dirt = rng.Float64() * rng.Float64()
	}
	if rng.Float64() < 0.7 { // mostly lighter: cameras and thresholds thin the ink
		s.Weight = -2 + 3*rng.Float64()
	}
	return s
}

// RandomPose is a plate pose within the bounds a roadside camera sees:
// yaw ±30°, pitch ±15°, roll ±8° (mostly small), the given character height.
func RandomPose(rng *rand.Rand, charH float64) Pose {
	tri := func(a float64) float64 { return (rng.Float64() - rng.Float64()) * a }
	return Pose{CharHeight: charH, Yaw: tri(30), Pitch: tri(15), Roll: tri(8), Distance: 2.5 + 4*rng.Float64(),
		Aspect: 0.82 + 0.23*rng.Float64()}
}

// paint is a random vehicle colour.
func paint(rng *rand.Rand) RGB {
	cols := []RGB{{0.9, 0.9, 0.9}, {0.05, 0.05, 0.06}, {0.55, 0.56, 0.58}, {0.3, 0.31, 0.33},
		{0.6, 0.08, 0.08}, {0.1, 0.2, 0.5}, {0.15, 0.35, 0.2}, {0.8, 0.75, 0.6}, {0.9, 0.5, 0.1}}
	c := cols[rng.IntN(len(cols))]
	v := float32(0.85 + 0.3*rng.Float64())
	return RGB{min(c[0]*v, 1), min(c[1]*v, 1), min(c[2]*v, 1)}
}
