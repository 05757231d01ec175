package plategen

import (
	"bufio"
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/charimg"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

// sameTree fails unless dirs a and b hold the same files with the same bytes.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Fatalf("%s differs", rel)
		}
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("walk: %v, %d files", err, n)
	}
}

func TestCharsDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	if err := writeChars(a, 50, 1234, 0.3, 0.25, 1); err != nil {
		t.Fatal(err)
	}
	if err := writeChars(b, 50, 1234, 0.3, 0.25, 2); err != nil {
		t.Fatal(err)
	}
	sameTree(t, a, b) // the worker count changes nothing
	if err := writeChars(c, 50, 1235, 0.3, 0.25, 2); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(a, "img/000001.png"))
	y, _ := os.ReadFile(filepath.Join(c, "img/000001.png"))
	if bytes.Equal(x, y) {
		t.Fatal("another seed gives the same crop")
	}
}

func TestCharsLayoutAndBalance(t *testing.T) {
	dir := t.TempDir()
	const n = 1500
	if err := WriteChars(dir, n, 1001); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	if sc.Text() != "file,label" {
		t.Fatalf("header %q", sc.Text())
	}
	counts := map[string]int{}
	lines := 0
	for sc.Scan() {
		lines++
		file, label, ok := strings.Cut(sc.Text(), ",")
		if !ok || file != "img/"+pad6(lines)+".png" {
			t.Fatalf("line %d: %q", lines, sc.Text())
		}
		if label != charimg.RejectLabel && (len(label) != 1 || !strings.Contains(charimg.Classes, label)) {
			t.Fatalf("line %d: label %q", lines, label)
		}
		counts[label]++
		if lines%97 == 1 { // a sample of the images: normalised 20x32 grey
			img := decodePNG(t, filepath.Join(dir, file))
			g, ok := img.(*image.Gray)
			if !ok || g.Bounds() != image.Rect(0, 0, charimg.Width, charimg.Height) {
				t.Fatalf("%s: %T %v", file, img, img.Bounds())
			}
		}
	}
	if lines != n {
		t.Fatalf("%d lines, want %d", lines, n)
	}
	rej := float64(counts[charimg.RejectLabel]) / n
	if rej < 0.05 || rej > 0.11 {
		t.Fatalf("reject share %.3f, want about 0.08", rej)
	}
	mean := float64(n-counts[charimg.RejectLabel]) / 36
	for _, c := range charimg.Classes {
		k := float64(counts[string(c)])
		if k < 0.5*mean || k > 1.5*mean {
			t.Fatalf("class %c: %v crops, mean %.0f: unbalanced", c, k, mean)
		}
	}
}

func pad6(i int) string {
	s := strconv.Itoa(i)
	return strings.Repeat("0", 6-len(s)) + s
}

func decodePNG(t *testing.T, path string) image.Image {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func TestEveryFormatRenders(t *testing.T) {
	for i, f := range ukplate.Formats {
		rng := rand.New(rand.NewPCG(7, uint64(i)))
		spec := RandomPlate(rng, &f)
		text := strings.ReplaceAll(spec.Text, " ", "")
		if !f.Matches(text) {
			t.Fatalf("%s: %q is not a mark of its format", f.Name, spec.Text)
		}
		for _, rear := range []bool{false, true} {
			spec.Rear, spec.Band = rear, !rear
			shot := RenderShot(spec, RandomPose(rng, 30), Conditions{Exposure: 1, Gamma: 1}, RGB{0.3, 0.3, 0.3})
			if string(shot.Chars) != text || len(shot.Glyphs) != len(text) {
				t.Fatalf("%s: drew %q, want %q", f.Name, shot.Chars, text)
			}
			pb := plateBox(shot.Quad)
			for k, g := range shot.Glyphs {
				if g.Empty() || !g.In(pb) || !g.In(shot.Image.Bounds()) {
					t.Fatalf("%s %q: glyph %d at %v outside the plate %v", f.Name, spec.Text, k, g, pb)
				}
				if k > 0 && g.Min.X < shot.Glyphs[k-1].Min.X {
					t.Fatalf("%s %q: glyphs out of order", f.Name, spec.Text)
				}
			}
			// the characters are dark on the light plate
			grey := Gray(shot.Image)
			g := shot.Glyphs[0]
			if dark, light := minIn(grey, g), maxIn(grey, pb.Inset(pb.Dy()/8)); dark > 80 || light < 150 {
				t.Fatalf("%s: ink %d, plate %d", f.Name, dark, light)
			}
		}
		img := RenderPlate(spec)
		if img.Bounds().Dx() < 200 {
			t.Fatalf("%s: plate %v", f.Name, img.Bounds())
		}
	}
}

func minIn(g *image.Gray, r image.Rectangle) int {
	m := 255
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m = min(m, int(g.GrayAt(x, y).Y))
		}
	}
	return m
}

func maxIn(g *image.Gray, r image.Rectangle) int {
	m := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m = max(m, int(g.GrayAt(x, y).Y))
		}
	}
	return m
}

func TestScenesTruth(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	opt := SceneOptions{Night: 0.4, Blur: 0.3}
	if err := WriteScenes(a, 6, 9100, opt); err != nil {
		t.Fatal(err)
	}
	if err := WriteScenes(b, 6, 9100, opt); err != nil {
		t.Fatal(err)
	}
	sameTree(t, a, b)
	for i := 1; i <= 6; i++ {
		name := "scene" + pad6(i)
		f, err := os.Open(filepath.Join(a, name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != SceneW || cfg.Height != SceneH {
			t.Fatalf("%s: %v %dx%d", name, err, cfg.Width, cfg.Height)
		}
		txt, _ := os.ReadFile(filepath.Join(a, name+".txt"))
		lines := strings.Split(strings.TrimSpace(string(txt)), "\n")
		if len(lines) < 1 || len(lines) > 2 {
			t.Fatalf("%s: %d plates", name, len(lines))
		}
		for _, l := range lines {
			p := strings.Split(l, "\t")
			if len(p) != 6 || p[0] != name+".jpg" || !ukplate.Valid(p[5]) || p[5] != strings.ToUpper(p[5]) {
				t.Fatalf("%s: bad line %q", name, l)
			}
			x, _ := strconv.Atoi(p[1])
			y, _ := strconv.Atoi(p[2])
			w, _ := strconv.Atoi(p[3])
			h, _ := strconv.Atoi(p[4])
			if !image.Rect(x, y, x+w, y+h).In(image.Rect(0, 0, SceneW, SceneH)) || w < 40 || h < 8 {
				t.Fatalf("%s: box %v", name, l)
			}
		}
	}
}

// TestSceneBoxesHoldThePlate renders clean day scenes and checks that each
// truth box bounds the plate: its corners inside, light plate at its centre,
// and not much plate outside it.
func TestSceneBoxesHoldThePlate(t *testing.T) {
	for i := 0; i < 20; i++ {
		rng := rand.New(rand.NewPCG(42, uint64(i)))
		sc := RandomScene(rng, SceneOptions{})
		sc.Cond = Conditions{Exposure: 1, Gamma: 1}
		for k := range sc.Vehicles {
			sc.Vehicles[k].Plate.Dirt = 0
		}
		img, truths := RenderScene(sc)
		if len(truths) != len(sc.Vehicles) {
			t.Fatalf("%d truths for %d vehicles", len(truths), len(sc.Vehicles))
		}
		grey := Gray(img)
		for _, tr := range truths {
			for _, q := range tr.Quad {
				if q.X < float64(tr.Box.Min.X) || q.X > float64(tr.Box.Max.X) || q.Y < float64(tr.Box.Min.Y) || q.Y > float64(tr.Box.Max.Y) {
					t.Fatalf("scene %d: corner %v outside %v", i, q, tr.Box)
				}
			}
			if tr.Box.Dx() > 4*int(tr.Quad[1].X-tr.Quad[0].X)/3+4 {
				t.Fatalf("scene %d: box %v far wider than the plate %v", i, tr.Box, tr.Quad)
			}
			// the plate's sheet is light (white or yellow) near its top right
			// corner (above the characters, away from the band), inside the box
			q := tr.Quad
			in := Pt{q[1].X*0.93 + q[3].X*0.07, q[1].Y*0.9 + q[3].Y*0.1}
			if v := grey.GrayAt(int(in.X), int(in.Y)).Y; v < 120 {
				t.Fatalf("scene %d: plate corner %v is dark (%d)", i, in, v)
			}
		}
	}
}
