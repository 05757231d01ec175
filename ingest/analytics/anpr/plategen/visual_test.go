package plategen

import (
	"image/png"
	"os"
	"testing"
)

// The Dev tests write pictures for a person to look at (the visual check
// of the generator); they run only when their variable names an output,
// e.g. GLYPH_SHEET=/tmp/glyphs.png go test -run DevSheet .
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

func TestDevScene(t *testing.T) {
	out := os.Getenv("SCENE_PNG")
	if out == "" {
		t.Skip()
	}
	for i, yaw := range []float64{0, 20, -25} {
		v := Vehicle{Plate: PlateSpec{Text: "AB12 CDE", Seed: 3}, Front: true, Colour: RGB{0.6, 0.1, 0.1},
			Pose: Pose{Centre: Pt{320, 250}, CharHeight: 14, Yaw: yaw, Pitch: 10, Distance: 25}}
		w := Vehicle{Plate: PlateSpec{Text: "XY70 ABC", Rear: true, Seed: 4}, Colour: RGB{0.2, 0.3, 0.6}, Van: true,
			Pose: Pose{Centre: Pt{120, 180}, CharHeight: 9, Yaw: -yaw, Pitch: 10, Distance: 25}}
		img, _ := RenderScene(Scene{Width: 640, Height: 360, BackgroundSeed: 7, Vehicles: []Vehicle{w, v}, Cond: Conditions{Exposure: 1, Gamma: 1, Light: Light(i)}})
		f, _ := os.Create(out + string(rune('0'+i)) + ".png")
		png.Encode(f, img)
		f.Close()
	}
}
