package decode

// #include "av.h"
import "C"

import (
	"image"
	"unsafe"
)

// Frame is a decoded picture. It refers to the Decoder's reused buffers and
// is valid until the Decoder's next Decode, Flush or Close; after that its
// methods return nil. Like its Decoder, it is for one goroutine at a time.
type Frame struct {
	Width, Height int
	// Keyframe is set for pictures libavcodec marks as key (IDR).
	Keyframe bool
	// Corrupt is set when libavcodec concealed errors in this picture
	// (damaged slices). Lost access units (frame_num gaps) are concealed
	// without it, and pictures predicted from a damaged one are not flagged.
	Corrupt bool

	d   *Decoder
	gen uint64
}

// pic is the frame's 8-bit 4:2:0 picture, or nil when the Frame is stale.
func (f *Frame) pic() *C.AVFrame {
	if f == nil || f.d == nil || f.d.gen != f.gen {
		return nil
	}
	return f.d.pic
}

// Gray is the luma plane as decoded (limited range 16–235 for most cameras,
// 0–255 for full-range streams): a zero-copy view of the decoder's buffer,
// valid only until the next Decode, Flush or Close. Copy it to keep it.
func (f *Frame) Gray() *image.Gray {
	p := f.pic()
	if p == nil {
		return nil
	}
	w, h, stride := int(p.width), int(p.height), int(p.linesize[0])
	if w <= 0 || h <= 0 || stride < w {
		return nil
	}
	return &image.Gray{
		Pix:    unsafe.Slice((*byte)(unsafe.Pointer(p.data[0])), stride*(h-1)+w),
		Stride: stride,
		Rect:   image.Rect(0, 0, w, h),
	}
}

// GraySmall writes the luma plane scaled to w×h (area averaging) into dst
// (len w*h, rows w bytes apart); false when the Frame is stale, the size is
// not smaller or equal, or libswscale fails.
func (f *Frame) GraySmall(w, h int, dst []byte) bool {
	p := f.pic()
	if p == nil || w <= 0 || h <= 0 || w > int(p.width) || h > int(p.height) || len(dst) < w*h {
		return false
	}
	out, err := f.d.small.run(p, w, h, C.AV_PIX_FMT_GRAY8, C.SWS_AREA)
	if err != nil {
		return false
	}
	copyPlane(dst, w, out, 0, w, h)
	return true
}

// YCbCr returns a full-range (JFIF, as image/jpeg expects) 4:2:0 copy of the
// picture, safe to keep; nil when the Frame is stale or libswscale fails.
func (f *Frame) YCbCr() *image.YCbCr {
	return f.Thumbnail(0)
}

// Thumbnail is YCbCr scaled down (area averaging) to at most maxWidth pixels
// wide, keeping the aspect ratio; maxWidth <= 0 or not narrower than the
// picture means full size. It is a copy, safe to keep.
func (f *Frame) Thumbnail(maxWidth int) *image.YCbCr {
	p := f.pic()
	if p == nil {
		return nil
	}
	w, h := int(p.width), int(p.height)
	c, flags := &f.d.ycc, C.int(C.SWS_BILINEAR)
	if maxWidth > 0 && maxWidth < w {
		h = max(1, (h*maxWidth+w/2)/w)
		w = maxWidth
		c, flags = &f.d.thumb, C.SWS_AREA
	}
	out, err := c.run(p, w, h, C.AV_PIX_FMT_YUVJ420P, flags|C.SWS_ACCURATE_RND)
	if err != nil {
		return nil
	}
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	copyPlane(img.Y, img.YStride, out, 0, w, h)
	cw, ch := (w+1)/2, (h+1)/2
	copyPlane(img.Cb, img.CStride, out, 1, cw, ch)
	copyPlane(img.Cr, img.CStride, out, 2, cw, ch)
	return img
}

// RGBA returns an RGBA copy of the picture (alpha 255), safe to keep; nil
// when the Frame is stale or libswscale fails.
func (f *Frame) RGBA() *image.RGBA {
	p := f.pic()
	if p == nil {
		return nil
	}
	w, h := int(p.width), int(p.height)
	out, err := f.d.rgba.run(p, w, h, C.AV_PIX_FMT_RGBA, C.SWS_BILINEAR|C.SWS_ACCURATE_RND)
	if err != nil {
		return nil
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	copyPlane(img.Pix, img.Stride, out, 0, 4*w, h)
	return img
}

// copyPlane copies rows of n bytes of plane i of src into dst.
func copyPlane(dst []byte, dstStride int, src *C.AVFrame, i, n, rows int) {
	stride := int(src.linesize[i])
	plane := unsafe.Slice((*byte)(unsafe.Pointer(src.data[i])), stride*(rows-1)+n)
	for y := range rows {
		copy(dst[y*dstStride:y*dstStride+n], plane[y*stride:y*stride+n])
	}
}
