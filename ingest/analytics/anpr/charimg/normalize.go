// Package charimg is the character normalisation shared by the plate
// generator (training data) and the reader (recognition): both must cut and
// scale a character exactly the same way, or the model sees a different
// picture in service than it learnt from.
package charimg

import (
	"image"
	"math"
)

// Output size of Normalize and the recogniser's input (W x H).
const (
	Width  = 20
	Height = 32
	// glyphH is the height a character is scaled to; glyphW caps wide ones.
	glyphH = 28
	glyphW = 18
)

// Classes is the recogniser's alphabet in output order; index Reject (36)
// is "not a character".
const Classes = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// Reject is the index of the reject class and RejectLabel its label.
const (
	Reject      = 36
	RejectLabel = "_"
)

// Normalize crops r from src (dark glyph on light background), stretches its
// contrast (1st percentile to 0, 99th to 255), scales it with bilinear
// resampling to height 28 keeping its aspect (to width 18 if it would be
// wider) and centres it on a white 20x32 canvas. An empty crop gives a blank
// canvas.
func Normalize(src *image.Gray, r image.Rectangle) *image.Gray {
	dst := image.NewGray(image.Rect(0, 0, Width, Height))
	for i := range dst.Pix {
		dst.Pix[i] = 255
	}
	r = r.Intersect(src.Bounds())
	if r.Empty() {
		return dst
	}
	cw, ch := r.Dx(), r.Dy()
	crop := stretch(src, r)

	w, h := scaledSize(cw, ch)
	x0, y0 := (Width-w)/2, (Height-h)/2
	sx := float64(cw) / float64(w)
	sy := float64(ch) / float64(h)
	for y := 0; y < h; y++ {
		fy := clamp((float64(y)+0.5)*sy-0.5, 0, float64(ch-1))
		iy := int(fy)
		iy1 := min(iy+1, ch-1)
		ty := fy - float64(iy)
		for x := 0; x < w; x++ {
			fx := clamp((float64(x)+0.5)*sx-0.5, 0, float64(cw-1))
			ix := int(fx)
			ix1 := min(ix+1, cw-1)
			tx := fx - float64(ix)
			a := float64(crop[iy*cw+ix])*(1-tx) + float64(crop[iy*cw+ix1])*tx
			b := float64(crop[iy1*cw+ix])*(1-tx) + float64(crop[iy1*cw+ix1])*tx
			v := a*(1-ty) + b*ty
			dst.Pix[(y0+y)*dst.Stride+x0+x] = uint8(math.Round(v))
		}
	}
	return dst
}

// scaledSize is the glyph's size on the canvas: height 28 keeping aspect,
// width capped at 18, never below 1 pixel.
func scaledSize(cw, ch int) (w, h int) {
	h = glyphH
	w = int(math.Round(float64(cw) * glyphH / float64(ch)))
	if w > glyphW {
		w = glyphW
		h = int(math.Round(float64(ch) * glyphW / float64(cw)))
	}
	return max(w, 1), max(h, 1)
}

// stretch copies r out of src with the 1st..99th percentile range mapped to
// 0..255. A flat crop (no range) is copied unchanged.
func stretch(src *image.Gray, r image.Rectangle) []uint8 {
	cw, ch := r.Dx(), r.Dy()
	out := make([]uint8, cw*ch)
	var hist [256]int
	for y := 0; y < ch; y++ {
		row := src.Pix[src.PixOffset(r.Min.X, r.Min.Y+y):]
		copy(out[y*cw:(y+1)*cw], row[:cw])
		for _, v := range row[:cw] {
			hist[v]++
		}
	}
	n := cw * ch
	lo := rank(&hist, int(0.01*float64(n-1)))
	hi := rank(&hist, int(math.Ceil(0.99*float64(n-1))))
	if hi <= lo {
		return out
	}
	scale := 255 / float64(hi-lo)
	var lut [256]uint8
	for v := range lut {
		lut[v] = uint8(math.Round(clamp(float64(v-lo)*scale, 0, 255)))
	}
	for i, v := range out {
		out[i] = lut[v]
	}
	return out
}

// rank is the value at position k (0-based) of the sorted pixels.
func rank(hist *[256]int, k int) int {
	c := 0
	for v, n := range hist {
		c += n
		if c > k {
			return v
		}
	}
	return 255
}

func clamp(v, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, v))
}

// Tensor is the recogniser's input for a normalised image: 640 values, row
// major, pixel/255 (0 dark, 1 light).
func Tensor(img *image.Gray) []float32 {
	b := img.Bounds()
	out := make([]float32, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out = append(out, float32(img.Pix[img.PixOffset(x, y)])/255)
		}
	}
	return out
}
