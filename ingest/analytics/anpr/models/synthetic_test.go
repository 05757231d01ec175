package models

import (
	"encoding/csv"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/charimg"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/plategen"
)

// syntheticSeed is the generator seed of TestSyntheticCharAccuracy's set:
// >= 9000, a test seed, never used in training (training uses 1000..1999)
// and not the trainer's held-out set (9000) either.
const syntheticSeed = 9101

// TestSyntheticCharAccuracy generates a fresh character set with plategen
// (night and motion/defocus blur included) and asserts chars.onnx reads at
// least 97% of the real characters; the reject class is scored and reported
// separately.
func TestSyntheticCharAccuracy(t *testing.T) {
	checkMats(t)
	n := 2590
	if testing.Short() {
		n = 740
	}
	dir := t.TempDir()
	if err := plategen.WriteChars(dir, n, syntheticSeed); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 || strings.Join(rows[0], ",") != "file,label" {
		t.Fatalf("labels.csv: %d rows, header %v", len(rows), rows[0])
	}
	p, err := CharsProvenance()
	if err != nil {
		t.Fatal(err)
	}
	r := newRecogniser(t, charsONNX, p)
	var ok, chars, rejOK, rejN, toReject int
	per := map[byte][2]int{}
	for _, row := range rows[1:] {
		g, err := readGray(filepath.Join(dir, row[0]))
		if err != nil {
			t.Fatal(err)
		}
		if g.Bounds() != image.Rect(0, 0, 20, 32) {
			t.Fatalf("%s is %v, want 20x32", row[0], g.Bounds())
		}
		got := Classes[argmax(r.classify(t, charimg.Tensor(g)))]
		want := row[1][0]
		if want == '_' {
			rejN++
			if got == '_' {
				rejOK++
			}
			continue
		}
		chars++
		s := per[want]
		s[1]++
		if got == want {
			ok++
			s[0]++
		} else if got == '_' {
			toReject++
		}
		per[want] = s
	}
	acc := float64(ok) / float64(chars)
	var b strings.Builder
	for i := 0; i < Reject; i++ {
		if s := per[Classes[i]]; s[1] > 0 {
			fmt.Fprintf(&b, " %c %.0f%%", Classes[i], 100*float64(s[0])/float64(s[1]))
		}
	}
	t.Logf("seed %d: characters %d/%d = %.2f%% (%d read as reject); reject %d/%d; per class:%s",
		syntheticSeed, ok, chars, 100*acc, toReject, rejOK, rejN, b.String())
	if acc < 0.97 {
		t.Errorf("character accuracy %.2f%%, want >= 97%%", 100*acc)
	}
}
