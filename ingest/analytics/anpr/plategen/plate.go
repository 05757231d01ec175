package plategen

import (
	"image"
	"math"
	"math/rand/v2"
)

// DVLA plate geometry in millimetres.
const (
	PlateW    = 520.0
	PlateH    = 111.0
	charGap   = 11.0 // between characters of a group
	groupGap  = 33.0 // between the two groups
	bandW     = 50.0 // national identifier band
	plateR    = 8.0  // corner radius
	borderIn  = 5.0  // border inset from the edge
	borderW   = 3.0
	boltR     = 4.5
	minMargin = 11.0
)

// PlateSpec is what is on a plate. Text is the mark with its group space
// ("AB12 CDE"); other bytes than 0-9, A-Z and space are skipped.
type PlateSpec struct {
	Text   string
	Rear   bool    // yellow rear plate (front plates are white)
	Band   bool    // blue national identifier band with "UK"
	Border bool    // thin black border
	Bolts  int     // 0, 2 or 4 fixing screws
	Dirt   float64 // 0 clean .. 1 filthy
	// Weight moves the characters' edges out (bolder) or in (lighter), mm.
	Weight float64
	// Seed places bolts and dirt and varies the plate's tint.
	Seed uint64
	// CharHeight is the character height in pixels for RenderPlate (0: 40).
	CharHeight float64
}

// placed is a glyph at its position on the plate (top left, mm from the
// plate's centre).
type placed struct {
	Char  byte
	At    Pt
	Glyph Glyph
}

// layout places the characters: centred in the plate right of the band,
// 11 mm apart in a group and 33 mm between groups.
func layout(spec PlateSpec) []placed {
	var out []placed
	x := 0.0
	gap := 0.0
	for i := 0; i < len(spec.Text); i++ {
		c := spec.Text[i]
		if c == ' ' {
			gap = groupGap
			continue
		}
		g, ok := GlyphOf(c)
		if !ok {
			continue
		}
		if len(out) > 0 {
			x += max(gap, charGap)
		}
		gap = 0
		out = append(out, placed{Char: c, At: Pt{x, -GlyphH / 2}, Glyph: g})
		x += g.Width
	}
	left, right := -PlateW/2, PlateW/2
	if spec.Band {
		left += bandW
	}
	shift := (left+right)/2 - x/2
	if x > right-left-2*minMargin { // too long to fit: squeeze into the plate
		shift = left + minMargin
	}
	for i := range out {
		out[i].At.X += shift
	}
	return out
}

// palette is the plate's colours under the light of the shot.
type palette struct {
	plate, ink, band, bandInk, bolt RGB
}

func plateColours(spec PlateSpec, rng *rand.Rand, ir bool) palette {
	v := func(c float32, d float64) float32 { return c + float32((rng.Float64()*2-1)*d) }
	if ir { // retro-reflective sheeting shines back the IR lamp whatever its colour
		b := v(0.93, 0.05)
		return palette{plate: RGB{b, b, b}, ink: RGB{0.06, 0.06, 0.06}, band: RGB{0.45, 0.45, 0.45},
			bandInk: RGB{b, b, b}, bolt: RGB{0.5, 0.5, 0.5}}
	}
	p := palette{ink: RGB{v(0.06, 0.03), v(0.06, 0.03), v(0.07, 0.03)},
		band: RGB{0.0, v(0.2, 0.04), v(0.58, 0.06)}, bandInk: RGB{0.97, 0.97, 0.97},
		bolt: RGB{v(0.6, 0.15), v(0.6, 0.15), v(0.6, 0.15)}}
	if spec.Rear {
		p.plate = RGB{v(0.98, 0.02), v(0.80, 0.06), v(0.08, 0.06)}
	} else {
		w := v(0.95, 0.04)
		p.plate = RGB{w, w, v(w, 0.02)}
	}
	return p
}

// drawn is where a drawn plate's parts landed in the picture.
type drawn struct {
	Quad   [4]Pt             // plate corners: top left, top right, bottom right, bottom left
	Glyphs []image.Rectangle // ink bounds of each character, in text order
	Chars  []byte
	Bolts  []image.Rectangle
	Dirt   []image.Rectangle
	Band   image.Rectangle // empty without a band
}

// drawPlate paints the plate through h onto c.
func drawPlate(c *canvas, spec PlateSpec, h Homography, ir bool) drawn {
	rng := rand.New(rand.NewPCG(spec.Seed, 0x706c617465))
	pal := plateColours(spec, rng, ir)
	m := func(s Shape) Shape { return s.Map(h.Apply) }
	var d drawn
	for i, p := range []Pt{{-PlateW / 2, -PlateH / 2}, {PlateW / 2, -PlateH / 2}, {PlateW / 2, PlateH / 2}, {-PlateW / 2, PlateH / 2}} {
		d.Quad[i] = h.Apply(p)
	}
	c.fill(m(Shape{roundRect(-PlateW/2, -PlateH/2, PlateW/2, PlateH/2, plateR)}), pal.plate, 1)

	if spec.Band {
		band := Shape{roundRect(-PlateW/2, -PlateH/2, -PlateW/2+bandW, PlateH/2, plateR),
			rect(-PlateW/2+plateR, -PlateH/2, -PlateW/2+bandW, PlateH/2)}
		c.fill(m(band), pal.band, 1)
		d.Band = bounds(m(band))
		// "UK" in small white letters low in the band
		var uk Shape
		s := 0.3
		for i, ch := range []byte("UK") {
			g, _ := GlyphOf(ch)
			ox := -PlateW/2 + bandW/2 - (2*GlyphW*s+3)/2 + float64(i)*(GlyphW*s+3)
			uk = append(uk, g.Shape.Map(func(p Pt) Pt { return Pt{ox + p.X*s, 18 + p.Y*s} })...)
		}
		c.fill(m(uk), pal.bandInk, 1)
	}
	if spec.Border {
		o := roundRect(-PlateW/2+borderIn, -PlateH/2+borderIn, PlateW/2-borderIn, PlateH/2-borderIn, plateR-3)
		in := roundRect(-PlateW/2+borderIn+borderW, -PlateH/2+borderIn+borderW, PlateW/2-borderIn-borderW, PlateH/2-borderIn-borderW, plateR-5).reversed()
		c.fill(m(Shape{o, in}), pal.ink, 1)
	}

	glyphs := layout(spec)
	var ink Shape
	for _, g := range glyphs {
		s := m(g.Glyph.Shape.Map(func(p Pt) Pt { return Pt{g.At.X + p.X, g.At.Y + p.Y} }))
		ink = append(ink, s...)
		d.Glyphs = append(d.Glyphs, bounds(s))
		d.Chars = append(d.Chars, g.Char)
	}
	if spec.Weight != 0 {
		// pixels per mm at the plate's centre
		a, b := h.Apply(Pt{0, -GlyphH / 2}), h.Apply(Pt{0, GlyphH / 2})
		s := math.Hypot(b.X-a.X, b.Y-a.Y) / GlyphH
		c.fillWeighted(ink, pal.ink, spec.Weight*s, math.Max(0.6, 3*s))
	} else {
		c.fill(ink, pal.ink, 1)
	}

	for _, b := range boltPlaces(spec, glyphs, rng) {
		d.Bolts = append(d.Bolts, drawBolt(c, m, b, pal, rng))
	}
	d.Dirt = drawDirt(c, m, spec.Dirt, rng)
	return d
}

// boltPlaces puts fixing screws in the margins or, when the margins are
// narrow, in the gap between the groups, as fitters do.
func boltPlaces(spec PlateSpec, glyphs []placed, rng *rand.Rand) []Pt {
	if spec.Bolts <= 0 || len(glyphs) == 0 {
		return nil
	}
	left := -PlateW / 2
	if spec.Band {
		left += bandW
	}
	first := glyphs[0].At.X
	last := glyphs[len(glyphs)-1].At.X + glyphs[len(glyphs)-1].Glyph.Width
	var xs []float64
	if first-left >= 2*boltR+4 && PlateW/2-last >= 2*boltR+4 {
		xs = []float64{(left + first) / 2, (last + PlateW/2) / 2}
	} else {
		for i := 1; i < len(glyphs); i++ {
			end := glyphs[i-1].At.X + glyphs[i-1].Glyph.Width
			if glyphs[i].At.X-end > 2*boltR+4 {
				xs = []float64{(end + glyphs[i].At.X) / 2}
			}
		}
	}
	var out []Pt
	for _, x := range xs {
		if spec.Bolts >= 4 {
			out = append(out, Pt{x, -PlateH/4 - 4}, Pt{x, PlateH/4 + 4})
		} else {
			out = append(out, Pt{x, (rng.Float64()*2 - 1) * 6})
		}
	}
	return out
}

// drawBolt is a screw head: a plate-coloured cap or bare metal with a slot.
func drawBolt(c *canvas, m func(Shape) Shape, at Pt, pal palette, rng *rand.Rand) image.Rectangle {
	head := m(Shape{ellipse(at.X, at.Y, boltR, boltR, 16)})
	col := pal.bolt
	if rng.IntN(3) == 0 {
		col = RGB{pal.plate[0] * 0.85, pal.plate[1] * 0.85, pal.plate[2] * 0.85}
	}
	c.fill(head, col, 1)
	c.fill(m(Shape{ellipse(at.X, at.Y, boltR, boltR, 16), ellipse(at.X, at.Y, boltR-1, boltR-1, 16).reversed()}), RGB{0.2, 0.2, 0.2}, 0.6)
	a := rng.Float64() * math.Pi
	dx, dy := math.Cos(a)*boltR*0.8, math.Sin(a)*boltR*0.8
	c.fill(m(Shape{stroke([]Pt{{at.X - dx, at.Y - dy}, {at.X + dx, at.Y + dy}}, 1.5)}), RGB{0.1, 0.1, 0.1}, 0.9)
	return bounds(head)
}

// drawDirt splashes blobs, spots and streaks over the plate.
func drawDirt(c *canvas, m func(Shape) Shape, dirt float64, rng *rand.Rand) []image.Rectangle {
	if dirt <= 0 {
		return nil
	}
	var out []image.Rectangle
	brown := func() RGB {
		k := float32(0.25 + 0.35*rng.Float64())
		return RGB{k, k * 0.85, k * 0.65}
	}
	n := int(dirt*12 + rng.Float64()*3)
	for i := 0; i < n; i++ {
		cx, cy := (rng.Float64()-0.5)*PlateW, (rng.Float64()-0.5)*PlateH
		switch rng.IntN(3) {
		case 0: // blob
			r := 3 + rng.Float64()*15
			b := m(Shape{blob(cx, cy, r, rng)})
			c.fill(b, brown(), float32(0.15+0.5*dirt*rng.Float64()))
			out = append(out, bounds(b))
		case 1: // spot
			r := 1.5 + rng.Float64()*4
			b := m(Shape{ellipse(cx, cy, r, r*(0.7+0.3*rng.Float64()), 12)})
			c.fill(b, brown(), float32(0.5+0.4*rng.Float64()))
			out = append(out, bounds(b))
		default: // streak, mostly vertical (rain and road spray)
			l := 20 + rng.Float64()*60
			a := math.Pi/2 + (rng.Float64()-0.5)*0.8
			c.fill(m(Shape{stroke([]Pt{{cx, cy}, {cx + math.Cos(a)*l, cy + math.Sin(a)*l}}, 1+rng.Float64()*4)}),
				brown(), float32(0.1+0.25*dirt*rng.Float64()))
		}
	}
	return out
}

// blob is an irregular round shape.
func blob(cx, cy, r float64, rng *rand.Rand) Poly {
	p := make(Poly, 14)
	for i := range p {
		a := 2 * math.Pi * float64(i) / float64(len(p))
		k := r * (0.6 + 0.4*rng.Float64())
		p[i] = Pt{cx + k*math.Cos(a), cy + k*math.Sin(a)}
	}
	return p
}

// bounds is the pixel rectangle covering s.
func bounds(s Shape) image.Rectangle {
	lo, hi := s.Bounds()
	if math.IsInf(lo.X, 0) {
		return image.Rectangle{}
	}
	return image.Rect(int(math.Floor(lo.X)), int(math.Floor(lo.Y)), int(math.Ceil(hi.X)), int(math.Ceil(hi.Y)))
}

// RenderPlate draws a clean plate head on, spec.CharHeight pixels per
// character (40 if unset), edge to edge.
func RenderPlate(spec PlateSpec) *image.RGBA {
	ch := spec.CharHeight
	if ch <= 0 {
		ch = 40
	}
	s := ch / GlyphH
	w, h := int(math.Ceil(PlateW*s)), int(math.Ceil(PlateH*s))
	c := newCanvas(w, h, RGB{0, 0, 0})
	hom := Homography{s, 0, float64(w) / 2, 0, s, float64(h) / 2, 0, 0, 1}
	drawPlate(c, spec, hom, false)
	return c.rgba()
}
