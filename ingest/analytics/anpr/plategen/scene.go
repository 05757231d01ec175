package plategen

import (
	"image"
	"math"
	"math/rand/v2"
)

// Scene is one camera frame: a static street (drawn from BackgroundSeed,
// the same for every frame of a camera), vehicles from far to near, and
// the camera's conditions (vary Cond.Seed per frame for fresh noise).
type Scene struct {
	Width, Height  int
	BackgroundSeed uint64
	Vehicles       []Vehicle // drawn in order: put far ones first
	Cond           Conditions
}

// PlateTruth is where a plate is in a rendered frame.
type PlateTruth struct {
	Text string          // without spaces
	Quad [4]Pt           // corners TL, TR, BR, BL
	Box  image.Rectangle // axis-aligned bounds of Quad
	// Visible: the whole plate is in the frame (not so while a passing
	// vehicle enters or leaves the view).
	Visible bool
}

// RenderScene draws and degrades the frame; truths are in vehicle order.
func RenderScene(s Scene) (*image.RGBA, []PlateTruth) {
	c := newCanvas(s.Width, s.Height, RGB{0.5, 0.5, 0.5})
	drawStreet(c, s.BackgroundSeed, s.Cond.Light)
	var truths []PlateTruth
	for _, v := range s.Vehicles {
		d, _ := drawVehicle(c, v, s.Cond.Light)
		box := plateBox(d.Quad)
		truths = append(truths, PlateTruth{Text: compact(v.Plate.Text), Quad: d.Quad, Box: box,
			Visible: box.In(image.Rect(0, 0, s.Width, s.Height))})
	}
	return degrade(c, s.Cond), truths
}

func compact(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// drawStreet paints sky, buildings, pavement, road and lane markings.
func drawStreet(c *canvas, seed uint64, light Light) {
	rng := rand.New(rand.NewPCG(seed, 0x737472656574))
	w, h := float64(c.w), float64(c.h)
	tone := func(col RGB) RGB {
		if light == NightIR {
			k := (col[0] + col[1] + col[2]) / 3 * 0.5
			return RGB{k, k, k}
		}
		return col
	}
	horizon := h * (0.2 + 0.2*rng.Float64())
	c.fill(Shape{rect(0, 0, w, horizon)}, tone(RGB{0.6, 0.7, 0.85}), 1)
	// buildings along the horizon
	for x := -20.0; x < w; {
		bw := 40 + rng.Float64()*120
		bh := 30 + rng.Float64()*horizon*1.2
		k := float32(0.3 + 0.4*rng.Float64())
		bc := RGB{k, k * float32(0.85+0.2*rng.Float64()), k * float32(0.75+0.2*rng.Float64())}
		c.fill(Shape{rect(x, horizon+10-bh, x+bw, horizon+12)}, tone(bc), 1)
		for wy := horizon + 18 - bh; wy < horizon-8; wy += 14 {
			for wx := x + 6; wx < x+bw-10; wx += 16 {
				c.fill(Shape{rect(wx, wy, wx+8, wy+8)}, tone(RGB{0.15, 0.17, 0.2}), 0.8)
			}
		}
		x += bw + rng.Float64()*10
	}
	// pavement and road in perspective
	c.fill(Shape{rect(0, horizon+10, w, h)}, tone(RGB{0.55, 0.54, 0.52}), 1)
	vx := w * (0.3 + 0.4*rng.Float64())
	road := Poly{{vx - 20, horizon + 10}, {vx + 20, horizon + 10}, {w * 1.6, h}, {-w * 0.6, h}}
	k := float32(0.28 + 0.12*rng.Float64())
	c.fill(Shape{road}, tone(RGB{k, k, k * 1.05}), 1)
	// dashed centre line converging to the vanishing point
	for t := 0.05; t < 1; t += 0.12 {
		y0 := horizon + 10 + (h-horizon-10)*t*t
		y1 := horizon + 10 + (h-horizon-10)*math.Min(1, (t+0.06)*(t+0.06))
		x0 := vx + (w*0.5-vx)*t*t
		x1 := vx + (w*0.5-vx)*math.Min(1, (t+0.06)*(t+0.06))
		c.fill(Shape{stroke([]Pt{{x0, y0}, {x1, y1}}, 1+6*t)}, tone(RGB{0.85, 0.85, 0.8}), 0.9)
	}
	// road texture: patches and stains
	for i := 0; i < 25; i++ {
		cx, cy := rng.Float64()*w, horizon+10+rng.Float64()*(h-horizon-10)
		r := 4 + rng.Float64()*25
		c.fill(Shape{blob(cx, cy, r, rng)}, tone(RGB{0.2, 0.2, 0.2}), float32(0.05+0.12*rng.Float64()))
	}
}
