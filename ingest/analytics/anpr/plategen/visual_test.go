package plategen

import (
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/charimg"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
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

func TestDevScenes(t *testing.T) {
	out := os.Getenv("SCENES_DIR")
	if out == "" {
		t.Skip()
	}
	if err := WriteScenes(out, 24, 9100, SceneOptions{Night: 0.6, Blur: 0.3}); err != nil {
		t.Fatal(err)
	}
}

// TestDevCompare writes, per class, a clean normalised glyph and up to
// three real crops from COMPARE_REAL (a folder of NAME-*.jpg crops, looked
// at only) for judging likeness.
func TestDevCompare(t *testing.T) {
	out, real := os.Getenv("COMPARE_PNG"), os.Getenv("COMPARE_REAL")
	if out == "" || real == "" {
		t.Skip()
	}
	chars := "0123456789ABCDEFGHJKLMNOPRSTUVWXYZ"
	sheet := image.NewGray(image.Rect(0, 0, 4*22, len(chars)*34/2+34))
	draw.Draw(sheet, sheet.Bounds(), image.White, image.Point{}, draw.Src)
	sheet = image.NewGray(image.Rect(0, 0, 2*4*22+10, (len(chars)+1)/2*34))
	for i := 0; i < len(chars); i++ {
		ox, oy := (i%2)*(4*22+10), (i/2)*34
		spec := PlateSpec{Text: string(chars[i]), Seed: 1}
		shot := RenderShot(spec, Pose{CharHeight: 45}, Conditions{Exposure: 1, Gamma: 1}, RGB{0.3, 0.3, 0.3})
		n := charimg.Normalize(Gray(shot.Image), shot.Glyphs[0])
		draw.Draw(sheet, image.Rect(ox, oy, ox+20, oy+32), n, image.Point{}, draw.Src)
		files, _ := filepath.Glob(filepath.Join(real, string(chars[i])+"-*.jpg"))
		for k := 0; k < 3 && k < len(files); k++ {
			f, _ := os.Open(files[k*len(files)/3])
			im, err := jpeg.Decode(f)
			f.Close()
			if err != nil {
				continue
			}
			g := image.NewGray(im.Bounds())
			draw.Draw(g, g.Bounds(), im, im.Bounds().Min, draw.Src)
			n := charimg.Normalize(g, tightDark(g))
			x := ox + 22*(k+1)
			draw.Draw(sheet, image.Rect(x, oy, x+20, oy+32), n, image.Point{}, draw.Src)
		}
	}
	f, _ := os.Create(out)
	png.Encode(f, sheet)
	f.Close()
}

// tightDark is the bounds of the dark pixels.
func tightDark(g *image.Gray) image.Rectangle {
	var r image.Rectangle
	b := g.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if g.GrayAt(x, y).Y < 100 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func TestDevWeights(t *testing.T) {
	out := os.Getenv("WEIGHT_PNG")
	if out == "" {
		t.Skip()
	}
	var ims []image.Image
	for _, w := range []float64{-2, -1, 0, 1} {
		ims = append(ims, RenderPlateWeight(w))
	}
	sheet := image.NewRGBA(image.Rect(0, 0, ims[0].Bounds().Dx(), 4*ims[0].Bounds().Dy()))
	for i, im := range ims {
		draw.Draw(sheet, im.Bounds().Add(image.Pt(0, i*im.Bounds().Dy())), im, image.Point{}, draw.Src)
	}
	f, _ := os.Create(out)
	png.Encode(f, sheet)
	f.Close()
}

func RenderPlateWeight(w float64) image.Image {
	return RenderPlate(PlateSpec{Text: "BM58 WHO", Weight: w, CharHeight: 30})
}

func TestDevPassage(t *testing.T) {
	out := os.Getenv("PASSAGE_PNG")
	if out == "" {
		t.Skip()
	}
	p := Passage{
		Vehicle: Vehicle{Plate: PlateSpec{Text: "AB12 CDE", Rear: true, Seed: 1}, Colour: RGB{0.2, 0.4, 0.2}},
		From:    Pose{Centre: Pt{420, 140}, CharHeight: 7, Yaw: -15, Pitch: 12, Distance: 30},
		To:      Pose{Centre: Pt{250, 300}, CharHeight: 22, Yaw: 5, Pitch: 12, Distance: 30},
		Frames:  3,
	}
	for i := 0; i < p.Frames; i++ {
		img, _ := RenderScene(Scene{Width: 640, Height: 360, BackgroundSeed: 9, Vehicles: []Vehicle{p.At(i)},
			Cond: Conditions{Exposure: 1, Gamma: 1, Noise: 0.01, Seed: uint64(i)}})
		f, _ := os.Create(out + string(rune('0'+i)) + ".png")
		png.Encode(f, img)
		f.Close()
	}
}
