package decode

// #include "av.h"
import "C"

import (
	"errors"
	"fmt"
)

// converter is a cached libswscale context and the C frame it writes into;
// both are re-created only when the source or target size/format changes.
type converter struct {
	sws *C.struct_SwsContext
	dst *C.AVFrame
}

// run converts src to a w×h picture in format and returns the converter's
// own frame, valid until the next run or free.
func (c *converter) run(src *C.AVFrame, w, h int, format C.int, flags C.int) (*C.AVFrame, error) {
	if c.dst == nil || int(c.dst.width) != w || int(c.dst.height) != h || c.dst.format != format {
		if c.dst != nil {
			C.av_frame_free(&c.dst)
		}
		c.dst = C.av_frame_alloc()
		if c.dst == nil {
			return nil, errors.New("decode: out of memory allocating AVFrame")
		}
		c.dst.width, c.dst.height, c.dst.format = C.int(w), C.int(h), format
		if res := C.av_frame_get_buffer(c.dst, 0); res < 0 {
			C.av_frame_free(&c.dst)
			return nil, avError("av_frame_get_buffer", res)
		}
	}
	c.sws = C.sws_getCachedContext(c.sws,
		src.width, src.height, C.enum_AVPixelFormat(rangeFormat(src)),
		C.int(w), C.int(h), C.enum_AVPixelFormat(format),
		flags, nil, nil, nil)
	if c.sws == nil {
		return nil, fmt.Errorf("decode: sws_getCachedContext %dx%d %s → %dx%d %s failed",
			src.width, src.height, formatName(src.format), w, h, formatName(format))
	}
	if res := C.vigil_scale(c.sws, src, c.dst); res < 0 {
		return nil, avError("sws_scale", res)
	}
	return c.dst, nil
}

func (c *converter) free() {
	if c.sws != nil {
		C.sws_freeContext(c.sws)
		c.sws = nil
	}
	if c.dst != nil {
		C.av_frame_free(&c.dst)
	}
}

// rangeFormat is src's pixel format, with full-range ("JPEG") pictures that
// carry the range only in color_range mapped to the YUVJ format libswscale
// understands without sws_setColorspaceDetails.
func rangeFormat(src *C.AVFrame) C.int {
	if src.color_range != C.AVCOL_RANGE_JPEG {
		return src.format
	}
	switch src.format {
	case C.AV_PIX_FMT_YUV420P:
		return C.AV_PIX_FMT_YUVJ420P
	case C.AV_PIX_FMT_YUV422P:
		return C.AV_PIX_FMT_YUVJ422P
	case C.AV_PIX_FMT_YUV444P:
		return C.AV_PIX_FMT_YUVJ444P
	}
	return src.format
}

func isFullRange(src *C.AVFrame) bool {
	switch rangeFormat(src) {
	case C.AV_PIX_FMT_YUVJ420P, C.AV_PIX_FMT_YUVJ422P, C.AV_PIX_FMT_YUVJ444P, C.AV_PIX_FMT_YUVJ440P, C.AV_PIX_FMT_YUVJ411P:
		return true
	}
	return false
}

func is8bit420(src *C.AVFrame) bool {
	return src.format == C.AV_PIX_FMT_YUV420P || src.format == C.AV_PIX_FMT_YUVJ420P
}

// yuv420Target is the 8-bit 4:2:0 format that keeps src's range.
func yuv420Target(src *C.AVFrame) C.int {
	if isFullRange(src) {
		return C.AV_PIX_FMT_YUVJ420P
	}
	return C.AV_PIX_FMT_YUV420P
}

func formatName(format C.int) string {
	if name := C.av_get_pix_fmt_name(C.enum_AVPixelFormat(format)); name != nil {
		return C.GoString(name)
	}
	return fmt.Sprintf("pix_fmt(%d)", format)
}
