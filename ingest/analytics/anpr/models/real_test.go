package models

import (
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // gb-chars is JPEG
	_ "image/png"  // and a few PNG
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/charimg"
)

// TestRealCharsReport measures chars.onnx on real UK character crops (the
// gb-chars validation set, AGPL: read from its path, never shipped or
// trained on). VIGIL_ANPR_GBCHARS names the folder; files are CLASS-*.jpg (a few .png),
// dark glyph on light background. Each whole image is one character box.
// It reports; the target is 95% overall. O and 0 score as equal
// (the set's labels mix them).
func TestRealCharsReport(t *testing.T) {
	dir := os.Getenv("VIGIL_ANPR_GBCHARS")
	if dir == "" {
		t.Skip("VIGIL_ANPR_GBCHARS is not set (path to the gb-chars folder of real UK character crops)")
	}
	checkMats(t)
	p, err := CharsProvenance()
	if err != nil {
		t.Fatal(err)
	}
	r := newRecogniser(t, charsONNX, p)
	files, err := filepath.Glob(filepath.Join(dir, "*-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("%s: no CLASS-* files", dir)
	}
	type score struct{ ok, n int }
	per := map[byte]*score{}
	confused := map[string]int{}
	var ok, n, rejected, unreadable int
	for _, f := range files {
		base := filepath.Base(f)
		i := strings.IndexByte(base, '-')
		ext := strings.ToLower(filepath.Ext(base))
		if i != 1 || strings.IndexByte(Classes[:Reject], base[0]) < 0 || ext != ".jpg" && ext != ".png" {
			continue
		}
		want := base[0]
		g, err := readGray(f)
		if err != nil {
			unreadable++
			t.Logf("%s: %v", base, err)
			continue
		}
		probs := r.classify(t, charimg.Tensor(charimg.Normalize(g, g.Bounds())))
		got := Classes[argmax(probs)]
		s := per[want]
		if s == nil {
			s = &score{}
			per[want] = s
		}
		s.n++
		n++
		if got == want || (got == 'O' && want == '0') || (got == '0' && want == 'O') {
			s.ok++
			ok++
			continue
		}
		if got == '_' {
			rejected++
		}
		confused[fmt.Sprintf("%c->%c", want, got)]++
	}
	if n == 0 {
		t.Fatalf("%s: no labelled images read", dir)
	}
	t.Logf("real characters: %d/%d = %.2f%% (target 95%%); %d taken for reject, %d unreadable files",
		ok, n, 100*float64(ok)/float64(n), rejected, unreadable)
	var cls []byte
	for c := range per {
		cls = append(cls, c)
	}
	sort.Slice(cls, func(i, j int) bool { return strings.IndexByte(Classes, cls[i]) < strings.IndexByte(Classes, cls[j]) })
	var b strings.Builder
	for _, c := range cls {
		fmt.Fprintf(&b, " %c %.1f%%(%d)", c, 100*float64(per[c].ok)/float64(per[c].n), per[c].n)
	}
	t.Logf("per class:%s", b.String())
	type kv struct {
		k string
		v int
	}
	var cs []kv
	for k, v := range confused {
		cs = append(cs, kv{k, v})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].v > cs[j].v || cs[i].v == cs[j].v && cs[i].k < cs[j].k })
	b.Reset()
	for i, c := range cs {
		if i == 20 {
			break
		}
		fmt.Fprintf(&b, " %s %d", c.k, c.v)
	}
	t.Logf("top confusions (true->read):%s", b.String())
}

// readGray decodes a JPEG or PNG as grey.
func readGray(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, err
	}
	if g, ok := img.(*image.Gray); ok {
		return g, nil
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g, nil
}
