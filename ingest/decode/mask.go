package decode

import (
	"fmt"
	"image"
)

// Black in full-range (JFIF) YCbCr, as image.YCbCr and Frame.YCbCr are.
const (
	blackY      = 0
	neutralCbCr = 128
)

// Mask blacks out the pixels of img marked in raster (row-major, one entry
// per pixel of img.Rect, as zones.Rasterize makes it): luma 0 (img is
// full-range, as Frame.YCbCr gives it) and neutral chroma. A chroma sample
// is blacked out when any of the luma pixels it covers is, so no colour of
// a masked pixel survives subsampling; unmasked pixels next to the edge may
// lose their colour, never the reverse.
func Mask(img *image.YCbCr, raster []bool) error {
	r := img.Rect
	w, h := r.Dx(), r.Dy()
	if len(raster) != w*h {
		return fmt.Errorf("decode: mask of %d pixels for a %dx%d picture", len(raster), w, h)
	}
	for y := range h {
		row := raster[y*w : (y+1)*w]
		yo := img.YOffset(r.Min.X, r.Min.Y+y)
		for x, in := range row {
			if !in {
				continue
			}
			img.Y[yo+x] = blackY
			c := img.COffset(r.Min.X+x, r.Min.Y+y)
			img.Cb[c], img.Cr[c] = neutralCbCr, neutralCbCr
		}
	}
	return nil
}
