package anpr

import (
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

// Rectified plates are this many pixels high: characters then come out
// about 30 px high, a little over the recogniser's 28, so Normalize scales
// down (sharper) rather than up.
const (
	plateH    = 48
	maxPlateW = 8 * plateH
)

// Margins added around a detected text region before rectifying: the
// gradient blob hugs the characters' strokes, and the segmenter needs a
// little background all round each character.
const (
	marginX = 0.08
	marginY = 0.30
)

// rectify warps quad (TL, TR, BR, BL) of grey to a plateH-high picture at
// the quad's own aspect, inverted when the characters are light, so the
// result is always dark text on light. The caller closes it.
func rectify(grey gocv.Mat, quad [4]image.Point, light bool) gocv.Mat {
	w, h := (dist(quad[0], quad[1])+dist(quad[3], quad[2]))/2, (dist(quad[0], quad[3])+dist(quad[1], quad[2]))/2
	if h < 1 {
		h = 1
	}
	outW := int(math.Round(w / h * plateH))
	outW = max(plateH, min(outW, maxPlateW))
	src := gocv.NewPointVectorFromPoints(quad[:])
	defer src.Close()
	dst := gocv.NewPointVectorFromPoints([]image.Point{{0, 0}, {outW - 1, 0}, {outW - 1, plateH - 1}, {0, plateH - 1}})
	defer dst.Close()
	m := gocv.GetPerspectiveTransform(src, dst)
	defer m.Close()
	out := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(grey, &out, m, image.Pt(outW, plateH), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	if light {
		gocv.BitwiseNot(out, &out)
	}
	return out
}
