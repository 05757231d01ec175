package anpr

import (
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseTruth(t *testing.T) {
	got, err := ParseTruth([]byte("a.jpg\t10\t20\t30\t8\tAB12CDE\n\nb.jpg 1 2 3 4 ab12 cde\r\n"))
	if err != nil || len(got) != 2 {
		t.Fatalf("%v %+v", err, got)
	}
	if got[0].Box != image.Rect(10, 20, 40, 28) || got[0].Plate != "AB12CDE" || got[1].Plate != "AB12CDE" {
		t.Errorf("%+v", got)
	}
	for _, bad := range []string{"a.jpg 1 2 3\n", "a.jpg x 2 3 4 AB\n", "a.jpg 1 2 0 4 AB\n", "a.jpg -1 2 3 4 AB\n", "a.jpg 1 2 3 99999 AB\n", "../a.jpg 1 2 3 4 AB\n", "/etc/a.jpg 1 2 3 4 AB\n"} {
		if _, err := ParseTruth([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestEvalLayouts scores small generated folders of each layout: the
// counting, not the reader's accuracy (TestSyntheticScenes does that).
func TestEvalLayouts(t *testing.T) {
	r, err := New(Options{Region: "any"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := t.TempDir()
	for i, name := range []string{"A-1.png", "7-2.png", "O-3.png"} {
		img := image.NewGray(image.Rect(0, 0, 20, 34))
		for j := range img.Pix {
			img.Pix[j] = 230
		}
		for y := 6; y < 28; y++ { // a bar: some character
			for x := 8 + i; x < 12+i; x++ {
				img.Pix[y*20+x] = 20
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), encodePNG(t, img), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "B-bad.jpg"), []byte("not a picture"), 0o644)
	rep, err := r.Eval(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Layout != "chars" || rep.Chars != 3 || len(rep.PerClass) != 3 || len(rep.Failed) != 1 {
		t.Errorf("chars: %+v", rep)
	}
	t.Log(rep.Table())

	scenes := t.TempDir()
	m, box := drawnScene(t, "AB12 CDE", false, 5)
	img, err := m.ToImage()
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(scenes, "s1.png"), encodePNG(t, img), 0o644)
	line := strings.Join([]string{"s1.png", itoa(box.Min.X), itoa(box.Min.Y), itoa(box.Dx()), itoa(box.Dy()), "AB12CDE"}, "\t")
	os.WriteFile(filepath.Join(scenes, "s1.txt"), []byte(line+"\n"), 0o644)
	os.WriteFile(filepath.Join(scenes, "s2.txt"), []byte("s2.png\t1\t1\t10\t10\tX1\n"), 0o644) // picture missing
	rep, err = r.Eval(scenes)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Layout != "scenes" || rep.Plates != 2 || rep.Files != 2 || len(rep.Failed) != 1 {
		t.Errorf("scenes: %+v", rep)
	}
	t.Log(rep.Table())
	if _, err := r.Eval(t.TempDir()); err == nil {
		t.Error("empty folder: no error")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func FuzzParseTruth(f *testing.F) {
	f.Add([]byte("a.jpg\t10\t20\t30\t8\tAB12CDE\n"))
	f.Add([]byte("b.jpg 1 2 3 4 ab12 cde\r\nc.jpg 0 0 1 1 X\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := ParseTruth(b)
		if err != nil {
			return
		}
		for _, tr := range ts {
			if tr.Box.Empty() || tr.Plate == "" || tr.File == "" {
				t.Fatalf("accepted %+v", tr)
			}
		}
	})
}
