package plategen

import "sync"

// Glyph geometry in millimetres, drawn for this project in the manner of the
// UK statutory plate lettering (Charles Wright 2001): 79 mm high, 50 mm wide
// (1 and I narrower), 14 mm strokes, flat terminals. Each glyph is our own
// strokes and polygons on its box (x right, y down, origin top left).
const (
	GlyphH  = 79.0 // character height
	GlyphW  = 50.0 // character width
	strokeW = 14.0
)

// centre-line limits: strokes of width 14 just touch the box.
const (
	gl = strokeW / 2
	gr = GlyphW - strokeW/2
	gt = strokeW / 2
	gb = GlyphH - strokeW/2
)

// Glyph is one character's outline and advance width.
type Glyph struct {
	Width float64
	Shape Shape
}

type glyphBuilder struct {
	w     float64
	shape Shape
}

func (g *glyphBuilder) line(p path)                { g.shape = append(g.shape, stroke(p, strokeW)) }
func (g *glyphBuilder) loop(p path)                { g.shape = append(g.shape, ring(p, strokeW)...) }
func (g *glyphBuilder) box(x0, y0, x1, y1 float64) { g.shape = append(g.shape, rect(x0, y0, x1, y1)) }
func (g *glyphBuilder) poly(p ...Pt)               { g.shape = append(g.shape, Poly(p).positive()) }

// stem is a full-height vertical bar with its left edge at x.
func (g *glyphBuilder) stem(x float64) { g.box(x, 0, x+strokeW, GlyphH) }

// oval is a closed centre line: a rectangle with elliptical corners.
func oval(x0, y0, x1, y1, rx, ry float64) path {
	var p path
	p = p.arc(x1-rx, y0+ry, rx, ry, 270, 360)
	p = p.arc(x1-rx, y1-ry, rx, ry, 0, 90)
	p = p.arc(x0+rx, y1-ry, rx, ry, 90, 180)
	p = p.arc(x0+rx, y0+ry, rx, ry, 180, 270)
	return p
}

var glyphDefs = map[byte]func(g *glyphBuilder){
	'0': func(g *glyphBuilder) { g.loop(oval(gl+3, gt, gr-3, gb, 15, 24)) },
	'1': func(g *glyphBuilder) {
		// a bar with a short flag: on real plates it is barely wider than I
		g.w = 20
		g.stem(6)
		g.poly(Pt{6, 0}, Pt{0, 6}, Pt{0, 15}, Pt{6, 9})
	},
	'2': func(g *glyphBuilder) {
		g.line(path{}.arc(25, 24, 18, 17, 195, 375).to(gl+1, gb-2))
		g.box(0, GlyphH-strokeW, GlyphW, GlyphH)
	},
	'3': func(g *glyphBuilder) {
		g.line(path{}.arc(25, 22.5, 17, 15.5, 200, 450).to(18, 38))
		g.line(path{}.to(18, 38).arc(25, 55, 18, 17, 270, 520))
	},
	'4': func(g *glyphBuilder) {
		g.box(29, 0, 43, GlyphH)
		g.line(path{{36, -4}, {2, 60}})
		g.box(0, 51, GlyphW, 65)
	},
	'5': func(g *glyphBuilder) {
		g.box(2, 0, GlyphW-1, strokeW)
		g.box(2, 0, 16, 40)
		g.line(path{}.to(9, 40).arc(24, 54, 19, 18, 232, 450).arc(24, 54, 19, 18, 90, 150))
	},
	'6': six,
	'7': func(g *glyphBuilder) {
		g.box(0, 0, GlyphW, strokeW)
		g.poly(Pt{35, strokeW}, Pt{GlyphW, strokeW}, Pt{24, GlyphH}, Pt{9, GlyphH})
	},
	'8': func(g *glyphBuilder) {
		// square-shouldered bowls of nearly equal width, small counters
		g.loop(oval(gl+1, gt, gr-1, 38, 11, 10))
		g.loop(oval(gl, 37, gr, gb, 12, 12))
	},
	'9': func(g *glyphBuilder) {
		six(g)
		g.shape = g.shape.Map(func(p Pt) Pt { return Pt{GlyphW - p.X, GlyphH - p.Y} })
	},
	'A': func(g *glyphBuilder) {
		g.poly(Pt{17, 0}, Pt{33, 0}, Pt{15, GlyphH}, Pt{0, GlyphH})
		g.poly(Pt{17, 0}, Pt{33, 0}, Pt{GlyphW, GlyphH}, Pt{35, GlyphH})
		g.box(8, 50, 42, 63)
	},
	'B': func(g *glyphBuilder) {
		g.stem(0)
		g.line(path{}.to(gl, gt).to(28, gt).arc(28, 22.5, 15, 15.5, 270, 450).to(gl, 38))
		g.line(path{}.to(gl, 38.5).to(29, 38.5).arc(29, 55.25, 14, 16.75, 270, 450).to(gl, gb))
	},
	'C': func(g *glyphBuilder) {
		g.line(path{}.arc(25, 25, 18, 18, 330, 180).to(gl, 54).arc(25, 54, 18, 18, 180, 30))
	},
	'D': func(g *glyphBuilder) {
		g.stem(0)
		g.line(path{}.to(gl, gt).to(22, gt).arc(22, 28, 21, 21, 270, 360).to(43, 51).arc(22, 51, 21, 21, 0, 90).to(gl, gb))
	},
	'E': func(g *glyphBuilder) {
		g.stem(0)
		g.box(0, 0, GlyphW, strokeW)
		g.box(0, 33, 45, 46)
		g.box(0, GlyphH-strokeW, GlyphW, GlyphH)
	},
	'F': func(g *glyphBuilder) {
		g.stem(0)
		g.box(0, 0, GlyphW, strokeW)
		g.box(0, 34, 44, 47)
	},
	'G': func(g *glyphBuilder) {
		g.line(path{}.arc(25, 25, 18, 18, 330, 180).to(gl, 54).arc(25, 54, 18, 18, 180, 0).to(gr, 42))
		g.box(26, 36, GlyphW, 49)
	},
	'H': func(g *glyphBuilder) {
		g.stem(0)
		g.stem(GlyphW - strokeW)
		g.box(0, 33, GlyphW, 46)
	},
	'I': func(g *glyphBuilder) {
		g.w = strokeW
		g.stem(0)
	},
	'J': func(g *glyphBuilder) {
		g.line(path{}.to(gr, 0).to(gr, 54).arc(25, 54, 18, 18, 0, 180).to(gl, 48))
	},
	'K': func(g *glyphBuilder) {
		g.stem(0)
		g.line(path{{6, 58}, {52, -8}})
		g.line(path{{19, 38}, {54, 86}})
	},
	'L': func(g *glyphBuilder) {
		g.stem(0)
		g.box(0, GlyphH-strokeW, 48, GlyphH)
	},
	'M': func(g *glyphBuilder) {
		g.stem(0)
		g.stem(GlyphW - strokeW)
		// the middle strokes are thinner, as on the plates, or M fills in
		g.shape = append(g.shape, stroke(path{{6, -2}, {25, 54}, {44, -2}}, 11.5))
	},
	'N': func(g *glyphBuilder) {
		g.stem(0)
		g.stem(GlyphW - strokeW)
		g.line(path{{4, -6}, {46, 85}})
	},
	'O': func(g *glyphBuilder) { g.loop(oval(gl, gt, gr, gb, 18, 19)) },
	'P': pee,
	'Q': func(g *glyphBuilder) {
		g.loop(oval(gl, gt, gr, gb-2, 18, 19))
		g.line(path{{28, 56}, {48, 84}})
	},
	'R': func(g *glyphBuilder) {
		pee(g)
		g.line(path{{22, 40}, {52, 88}})
	},
	'S': func(g *glyphBuilder) {
		g.line(path{}.arc(25, 22, 17, 15, 335, 180).arc(25, 22, 17, 15, 180, 90).
			arc(25, 55, 18, 17, 270, 450).arc(25, 55, 18, 17, 90, 155))
	},
	'T': func(g *glyphBuilder) {
		g.box(0, 0, GlyphW, strokeW)
		g.box(18, 0, 32, GlyphH)
	},
	'U': func(g *glyphBuilder) {
		g.line(path{}.to(gl, 0).to(gl, 54).arc(25, 54, 18, 18, 180, 0).to(gr, 0))
	},
	'V': func(g *glyphBuilder) {
		g.poly(Pt{0, 0}, Pt{15, 0}, Pt{32, GlyphH}, Pt{18, GlyphH})
		g.poly(Pt{35, 0}, Pt{GlyphW, 0}, Pt{32, GlyphH}, Pt{18, GlyphH})
	},
	'W': func(g *glyphBuilder) {
		g.poly(Pt{0, 0}, Pt{12.5, 0}, Pt{18, GlyphH}, Pt{7, GlyphH})
		g.poly(Pt{37.5, 0}, Pt{GlyphW, 0}, Pt{43, GlyphH}, Pt{32, GlyphH})
		g.poly(Pt{20, 22}, Pt{30, 22}, Pt{19, GlyphH}, Pt{7, GlyphH})
		g.poly(Pt{20, 22}, Pt{30, 22}, Pt{43, GlyphH}, Pt{31, GlyphH})
	},
	'X': func(g *glyphBuilder) {
		g.poly(Pt{0, 0}, Pt{15, 0}, Pt{GlyphW, GlyphH}, Pt{35, GlyphH})
		g.poly(Pt{35, 0}, Pt{GlyphW, 0}, Pt{15, GlyphH}, Pt{0, GlyphH})
	},
	'Y': func(g *glyphBuilder) {
		g.poly(Pt{0, 0}, Pt{15, 0}, Pt{32, 44}, Pt{18, 44})
		g.poly(Pt{35, 0}, Pt{GlyphW, 0}, Pt{32, 44}, Pt{18, 44})
		g.box(18, 40, 32, GlyphH)
	},
	'Z': func(g *glyphBuilder) {
		g.box(1, 0, GlyphW, strokeW)
		g.box(0, GlyphH-strokeW, GlyphW, GlyphH)
		g.poly(Pt{34, strokeW - 1}, Pt{GlyphW, strokeW - 1}, Pt{16, GlyphH - strokeW + 1}, Pt{0, GlyphH - strokeW + 1})
	},
}

// six is a round-countered bowl under a straight left side that arches
// over to a terminal at the upper right (9 is six turned round).
func six(g *glyphBuilder) {
	g.loop(oval(gl, 35, gr, gb, 17, 17))
	g.line(path{}.to(gl, 55).to(gl, 25).arc(25, 25, 18, 18, 180, 325))
}

func pee(g *glyphBuilder) {
	g.stem(0)
	g.line(path{}.to(gl, gt).to(26, gt).arc(26, 25, 17, 18, 270, 450).to(gl, 43))
}

var (
	glyphOnce  sync.Once
	glyphTable map[byte]Glyph
)

// GlyphOf is the glyph of c (0-9, A-Z); ok is false for any other byte.
func GlyphOf(c byte) (Glyph, bool) {
	glyphOnce.Do(func() {
		glyphTable = make(map[byte]Glyph, len(glyphDefs))
		for ch, def := range glyphDefs {
			g := &glyphBuilder{w: GlyphW}
			def(g)
			var s Shape
			for _, p := range g.shape {
				if q := clip(p, Pt{0, 0}, Pt{g.w, GlyphH}); len(q) >= 3 {
					s = append(s, q)
				}
			}
			glyphTable[ch] = Glyph{Width: g.w, Shape: s}
		}
	})
	g, ok := glyphTable[c]
	return g, ok
}
