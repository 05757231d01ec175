package decode

import (
	"bytes"
	"fmt"
	"image"
	"unsafe"
)

// Black: luma 0 in full range (JFIF, as image.YCbCr is), 16 in limited
// range; chroma neutral in both.
const (
	blackFull    = 0
	blackLimited = 16
	neutralCbCr  = 128
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
	if img.SubsampleRatio == image.YCbCrSubsampleRatio420 && r.Min.X%2 == 0 && r.Min.Y%2 == 0 {
		y0, c0 := img.YOffset(r.Min.X, r.Min.Y), img.COffset(r.Min.X, r.Min.Y)
		mask420(img.Y[y0:], img.YStride, img.Cb[c0:], img.Cr[c0:], img.CStride, w, h, raster, blackFull)
		return nil
	}
	for y := range h {
		row := raster[y*w : (y+1)*w]
		yo := img.YOffset(r.Min.X, r.Min.Y+y)
		for x, in := range row {
			if !in {
				continue
			}
			img.Y[yo+x] = blackFull
			c := img.COffset(r.Min.X+x, r.Min.Y+y)
			img.Cb[c], img.Cr[c] = neutralCbCr, neutralCbCr
		}
	}
	return nil
}

// mask420 blacks out the runs of raster in 4:2:0 planes (their first
// sample at index 0), with luma black: the chroma sample of luma pixel
// (x, y) is (x/2, y/2).
func mask420(yp []byte, ys int, cb, cr []byte, cs int, w, h int, raster []bool, black byte) {
	for y := range h {
		// bools are bytes 0 and 1: find the runs with IndexByte.
		row := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(raster[y*w:]))), w)
		for x := 0; x < w; {
			i := bytes.IndexByte(row[x:], 1)
			if i < 0 {
				break
			}
			start := x + i
			end := w
			if j := bytes.IndexByte(row[start:], 0); j >= 0 {
				end = start + j
			}
			fill(yp[y*ys+start:y*ys+end], black)
			c := (y / 2) * cs
			fill(cb[c+start/2:c+(end+1)/2], neutralCbCr)
			fill(cr[c+start/2:c+(end+1)/2], neutralCbCr)
			x = end
		}
	}
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}
