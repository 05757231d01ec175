package plategen

import (
	"image/png"
	"os"
	"testing"
)

// TestDevSheet writes all glyphs to a PNG for eyeballing (dev only).
func TestDevSheet(t *testing.T) {
	out := os.Getenv("GLYPH_SHEET")
	if out == "" {
		t.Skip()
	}
	chars := "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	s := 0.8 // px per mm
	c := newCanvas(int(18*62*s), int(2*100*s), RGB{1, 1, 1})
	for i := 0; i < len(chars); i++ {
		g, _ := GlyphOf(chars[i])
		ox, oy := float64(i%18)*62*s+5, float64(i/18)*100*s+10
		c.fill(g.Shape.Map(func(p Pt) Pt { return Pt{ox + p.X*s, oy + p.Y*s} }), RGB{0, 0, 0}, 1)
	}
	f, _ := os.Create(out)
	png.Encode(f, c.rgba())
	f.Close()
}

func TestDevPlates(t *testing.T) {
	out := os.Getenv("PLATE_PNG")
	if out == "" {
		t.Skip()
	}
	for i, spec := range []PlateSpec{
		{Text: "AB12 CDE", Band: true, Border: true, Bolts: 2, Seed: 1},
		{Text: "LX71 QIO", Rear: true, Bolts: 2, Dirt: 0.7, Seed: 2},
		{Text: "A123 BCD", Rear: true, Band: true, Seed: 3, Bolts: 4},
		{Text: "ABZ 1234", Seed: 4, Dirt: 0.3, Border: true},
	} {
		f, _ := os.Create(out + string(rune('0'+i)) + ".png")
		png.Encode(f, RenderPlate(spec))
		f.Close()
	}
}

func TestDevChars(t *testing.T) {
	out := os.Getenv("CHARS_DIR")
	if out == "" {
		t.Skip()
	}
	if err := WriteChars(out, 600, 77); err != nil {
		t.Fatal(err)
	}
}
