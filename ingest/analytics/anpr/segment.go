package anpr

import (
	"image"
	"slices"
	"sort"

	"gocv.io/x/gocv"
)

// charAspect is a UK character's width over its height (50 mm by 79 mm);
// other countries' fonts are close enough for splitting merged blobs.
const charAspect = 0.63

// segmentation is one text line cut into characters, left to right.
type segmentation struct {
	boxes []image.Rectangle
	split int // index of the first character after the widest gap, -1 if none stands out
}

// segment binarises a rectified plate (dark text on light) and returns its
// one line of characters: connected components of character height that
// share a line, fragments merged, over-wide blobs (touching characters)
// split at the thinnest column.
//
// Two binarisations: a local threshold (default) copes with shadows across
// the plate; Otsu's global one keeps blurred strokes whole where the
// local one breaks them up. The reader tries the second when the first
// gives no reading.
func segment(plate gocv.Mat, global bool) segmentation {
	bin, labels, stats, cents := gocv.NewMat(), gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer bin.Close()
	defer labels.Close()
	defer stats.Close()
	defer cents.Close()
	H := plate.Rows()
	if global {
		gocv.Threshold(plate, &bin, 0, 255, gocv.ThresholdBinaryInv|gocv.ThresholdOtsu)
	} else {
		// The block is wider than a stroke, so a stroke stands out.
		gocv.AdaptiveThreshold(plate, &bin, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinaryInv, H/2|1, 7)
	}
	n := gocv.ConnectedComponentsWithStats(bin, &labels, &stats, &cents)
	var blobs []image.Rectangle
	for i := 1; i < n; i++ {
		x, y := int(stats.GetIntAt(i, 0)), int(stats.GetIntAt(i, 1))
		w, h, a := int(stats.GetIntAt(i, 2)), int(stats.GetIntAt(i, 3)), int(stats.GetIntAt(i, 4))
		if h < H*3/10 || h > H*19/20 || w > 3*h || a*10 < w*h {
			continue
		}
		// The rectified region has a margin above and below the text, so
		// a blob touching its top or bottom is the plate's edge or the
		// car; a solid block is the flag band or a shadow.
		if y == 0 || y+h == H || a*20 > w*h*17 && w*10 > h*6 {
			continue
		}
		blobs = append(blobs, image.Rect(x, y, x+w, y+h))
	}
	line := bestLine(blobs)
	if len(line) == 0 {
		return segmentation{split: -1}
	}
	sort.Slice(line, func(i, j int) bool { return line[i].Min.X < line[j].Min.X })
	line = mergeFragments(line)
	lineH := medianHeight(line)
	px, err := bin.DataPtrUint8()
	if err == nil {
		line = splitWide(line, px, bin.Cols(), lineH)
	}
	return segmentation{boxes: line, split: widestGap(line, lineH)}
}

// bestLine keeps the largest set of blobs of about one height on about one
// baseline: the characters, not the screws, flag band or border bits.
func bestLine(blobs []image.Rectangle) []image.Rectangle {
	var best []image.Rectangle
	bestArea := 0
	for _, ref := range blobs {
		rh, rc := ref.Dy(), (ref.Min.Y+ref.Max.Y)/2
		var set []image.Rectangle
		a := 0
		for _, b := range blobs {
			c := (b.Min.Y + b.Max.Y) / 2
			if abs(b.Dy()-rh)*4 <= rh && abs(c-rc)*10 <= rh*3 {
				set = append(set, b)
				a += area(b)
			}
		}
		if len(set) > len(best) || len(set) == len(best) && a > bestArea {
			best, bestArea = set, a
		}
	}
	return slices.Clone(best)
}

// mergeFragments joins blobs that overlap horizontally by more than half the
// narrower: one character broken in two by dirt or a weak stroke.
func mergeFragments(line []image.Rectangle) []image.Rectangle {
	var out []image.Rectangle
	for _, b := range line {
		if k := len(out) - 1; k >= 0 {
			ov := min(out[k].Max.X, b.Max.X) - max(out[k].Min.X, b.Min.X)
			if ov*2 > min(out[k].Dx(), b.Dx()) {
				out[k] = out[k].Union(b)
				continue
			}
		}
		out = append(out, b)
	}
	return out
}

// splitWide cuts a blob wider than one character (touching characters,
// motion blur) into as many as its width holds, at the columns with the
// least ink, pieces free to be narrow (an I or 1 among them).
func splitWide(line []image.Rectangle, px []byte, stride, lineH int) []image.Rectangle {
	cw := float64(lineH) * charAspect
	minW, maxW := max(2, lineH*15/100), int(cw*1.35)
	var out []image.Rectangle
	for _, b := range line {
		if float64(b.Dx()) < cw*1.3 {
			out = append(out, b)
			continue
		}
		cols := make([]int, b.Dx())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if px[y*stride+x] != 0 {
					cols[x-b.Min.X]++
				}
			}
		}
		k := max(1, int(float64(b.Dx())/(cw*1.05)+0.5))
		cuts, ok := cutColumns(cols, k, minW, maxW)
		if !ok || len(cuts) == 0 {
			out = append(out, b)
			continue
		}
		left := b.Min.X
		for _, c := range cuts {
			out = append(out, image.Rect(left, b.Min.Y, b.Min.X+c, b.Max.Y))
			left = b.Min.X + c
		}
		out = append(out, image.Rect(left, b.Min.Y, b.Max.X, b.Max.Y))
	}
	return out
}

// cutColumns picks k-1 cuts through a column profile, each piece minW to
// maxW wide, that cross the least ink (dynamic programming).
func cutColumns(cols []int, k, minW, maxW int) (cuts []int, ok bool) {
	W := len(cols)
	if k < 2 || W < k*minW || W > k*maxW {
		return nil, false
	}
	const inf = 1 << 30
	// best[j][x]: least ink of j cuts, the last at column x.
	best := make([][]int, k)
	from := make([][]int, k)
	for j := range best {
		best[j], from[j] = make([]int, W), make([]int, W)
		for x := range best[j] {
			best[j][x] = inf
		}
	}
	best[0][0] = 0
	for j := 1; j < k; j++ {
		for x := j * minW; x < W; x++ {
			for p := max(0, x-maxW); p <= x-minW; p++ {
				if best[j-1][p] < inf && (j > 1 || p == 0) && best[j-1][p]+cols[x] < best[j][x] {
					best[j][x], from[j][x] = best[j-1][p]+cols[x], p
				}
			}
		}
	}
	end, cost := -1, inf
	for x := max(0, W-maxW); x <= W-minW; x++ {
		if best[k-1][x] < cost {
			end, cost = x, best[k-1][x]
		}
	}
	if end < 0 {
		return nil, false
	}
	cuts = make([]int, k-1)
	for j, x := k-1, end; j >= 1; j-- {
		cuts[j-1] = x
		x = from[j][x]
	}
	return cuts, true
}

// widestGap returns the index after the gap that separates a UK mark's two
// groups (wider than twice the usual gap), or -1.
func widestGap(line []image.Rectangle, lineH int) int {
	if len(line) < 3 {
		return -1
	}
	gaps := make([]int, len(line)-1)
	for i := range gaps {
		gaps[i] = line[i+1].Min.X - line[i].Max.X
	}
	sorted := slices.Clone(gaps)
	slices.Sort(sorted)
	med := sorted[len(sorted)/2]
	at := 0
	for i, g := range gaps {
		if g > gaps[at] {
			at = i
		}
	}
	if gaps[at] > 2*max(med, 1) && gaps[at]*4 > lineH {
		return at + 1
	}
	return -1
}

func medianHeight(line []image.Rectangle) int {
	hs := make([]int, len(line))
	for i, b := range line {
		hs[i] = b.Dy()
	}
	slices.Sort(hs)
	return hs[len(hs)/2]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
