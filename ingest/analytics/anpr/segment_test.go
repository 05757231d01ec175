package anpr

import (
	"image"
	"slices"
	"testing"
)

func TestCutColumns(t *testing.T) {
	// Three characters merged by blur: ink everywhere, least at 10 and 14
	// (a narrow I between them).
	cols := make([]int, 24)
	for i := range cols {
		cols[i] = 9
	}
	cols[10], cols[14] = 2, 3
	cuts, ok := cutColumns(cols, 3, 3, 12)
	if !ok || !slices.Equal(cuts, []int{10, 14}) {
		t.Errorf("cuts %v %v, want [10 14]", cuts, ok)
	}
	if _, ok := cutColumns(cols, 3, 3, 6); ok {
		t.Error("pieces wider than allowed: ok")
	}
}

func TestWidestGap(t *testing.T) {
	box := func(x int) image.Rectangle { return image.Rect(x, 5, x+10, 25) }
	line := []image.Rectangle{box(0), box(13), box(26), box(39), box(65), box(78), box(91)}
	if g := widestGap(line, 20); g != 4 {
		t.Errorf("gap after %d, want 4", g)
	}
	if g := widestGap(line[:4], 20); g != -1 {
		t.Errorf("even spacing: gap %d, want -1", g)
	}
}

func TestTrimLoneEnds(t *testing.T) {
	boxes := make([]image.Rectangle, 8)
	for i := range boxes {
		boxes[i] = image.Rect(i*10, 0, i*10+8, 20)
	}
	for _, tc := range []struct {
		n, split, want int
	}{
		{8, 1, 7}, {8, 7, 7}, {6, 1, 5}, {5, 1, 5}, {8, 3, 8}, {8, -1, 8},
	} {
		got := trimLoneEnds(segmentation{boxes: boxes[:tc.n], split: tc.split})
		if len(got.boxes) != tc.want {
			t.Errorf("%d boxes split at %d: %d left, want %d", tc.n, tc.split, len(got.boxes), tc.want)
		}
	}
}
