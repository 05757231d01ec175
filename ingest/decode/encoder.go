package decode

// #include <stdlib.h>
// #include <libavutil/opt.h>
// #include "av.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// ErrEncoderClosed is returned by an Encoder used after Close or Flush.
var ErrEncoderClosed = errors.New("decode: encoder is closed")

// Encoder defaults.
const (
	DefaultPreset    = "veryfast"
	DefaultCRF       = 23
	DefaultFrameRate = 25
)

// x264Presets are the presets libx264 knows, fastest first.
var x264Presets = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"}

// EncoderConfig configures an Encoder.
type EncoderConfig struct {
	// Width and Height of every picture; both even.
	Width, Height int
	// Preset is libx264's speed/size trade-off; "" means DefaultPreset.
	Preset string
	// CRF is the constant quality (0 lossless to 51 worst); 0 means
	// DefaultCRF (lossless is not offered: a working copy does not need it).
	CRF int
	// FrameRate is the nominal rate, only for libx264's rate control (the
	// pictures' own pts give their timing); 0 means DefaultFrameRate.
	FrameRate int
	// LimitedRange says the pictures are limited range (luma 16-235, as
	// most cameras send them and EncodeFrame takes them). The default is
	// full range (0-255), as image.YCbCr and Frame.YCbCr are. The stream
	// says which (VUI video_full_range_flag).
	LimitedRange bool
}

// EncodedAU is one encoded access unit.
type EncodedAU struct {
	// NALUs without start codes; no SPS/PPS (those are SPS() and PPS(),
	// for the avcC) and no access unit delimiter; Go memory of their own.
	NALUs    [][]byte
	PTS      int64 // as given to Encode, 90 kHz
	Keyframe bool  // an IDR
}

// Encoder encodes pictures to H.264 with libavcodec's libx264: High profile,
// no B-frames and no lookahead, so access units come out in the order the
// pictures went in and decode order is presentation order. x264 picks its
// thread count from the CPUs (frame threads), which delays output by a few
// pictures: Encode returns zero or more access units, Flush the rest.
// Keyframes are IDRs exactly where the caller asks (and on the first
// picture): there is no periodic keyframe and no scene-cut detection, so a
// copy has its keyframes where its source has them.
//
// Pictures come either as image.YCbCr (Encode) or straight from a Decoder
// (EncodeFrame, which saves a conversion and a copy, and can mask them on
// the way); their range is the config's, and the stream says which (VUI
// video_full_range_flag), so players show the levels given.
//
// An Encoder is not safe for concurrent use.
type Encoder struct {
	ctx     *C.AVCodecContext
	frame   *C.AVFrame
	pkt     *C.AVPacket
	w, h    int
	full    bool
	sps     []byte
	pps     []byte
	lastPTS int64
	started bool
}

// NewEncoder opens a libx264 encoder for c.
func NewEncoder(c EncoderConfig) (*Encoder, error) {
	if c.Width <= 0 || c.Height <= 0 || c.Width%2 != 0 || c.Height%2 != 0 {
		return nil, fmt.Errorf("decode: encoder size %dx%d: width and height must be positive and even (4:2:0)", c.Width, c.Height)
	}
	if int64(c.Width)*int64(c.Height) > MaxPixels {
		return nil, fmt.Errorf("decode: encoder size %dx%d is over %d pixels", c.Width, c.Height, MaxPixels)
	}
	if c.Preset == "" {
		c.Preset = DefaultPreset
	}
	known := false
	for _, p := range x264Presets {
		known = known || p == c.Preset
	}
	if !known {
		return nil, fmt.Errorf("decode: encoder preset %q: libx264 presets are %v", c.Preset, x264Presets)
	}
	if c.CRF == 0 {
		c.CRF = DefaultCRF
	}
	if c.CRF < 1 || c.CRF > 51 {
		return nil, fmt.Errorf("decode: encoder CRF %d: 1 (best) to 51 (worst)", c.CRF)
	}
	if c.FrameRate == 0 {
		c.FrameRate = DefaultFrameRate
	}
	if c.FrameRate < 1 || c.FrameRate > 300 {
		return nil, fmt.Errorf("decode: encoder frame rate %d: 1 to 300", c.FrameRate)
	}

	C.vigil_quiet_log()
	name := C.CString("libx264")
	defer C.free(unsafe.Pointer(name))
	codec := C.avcodec_find_encoder_by_name(name)
	if codec == nil {
		return nil, errors.New("decode: libavcodec has no libx264 encoder (install a libavcodec built with libx264)")
	}
	e := &Encoder{w: c.Width, h: c.Height, full: !c.LimitedRange}
	rng := C.enum_AVColorRange(C.AVCOL_RANGE_JPEG)
	if c.LimitedRange {
		rng = C.AVCOL_RANGE_MPEG
	}
	e.ctx = C.avcodec_alloc_context3(codec)
	if e.ctx == nil {
		return nil, errors.New("decode: avcodec_alloc_context3 failed")
	}
	e.ctx.width, e.ctx.height = C.int(c.Width), C.int(c.Height)
	e.ctx.pix_fmt = C.AV_PIX_FMT_YUV420P
	e.ctx.color_range = rng
	e.ctx.time_base = C.AVRational{num: 1, den: 90000}
	e.ctx.framerate = C.AVRational{num: C.int(c.FrameRate), den: 1}
	e.ctx.max_b_frames = 0
	e.ctx.thread_count = 0 // x264 chooses from the CPUs
	e.ctx.flags |= C.AV_CODEC_FLAG_GLOBAL_HEADER
	for _, o := range [][2]string{
		{"preset", c.Preset},
		{"crf", fmt.Sprint(c.CRF)},
		{"forced-idr", "1"},
		// Keyframes only where asked; no lookahead, so no delay beyond
		// frame threading's.
		{"x264-params", "keyint=infinite:scenecut=0:rc-lookahead=0:sync-lookahead=0"},
	} {
		if err := e.setOption(o[0], o[1]); err != nil {
			e.Close()
			return nil, err
		}
	}
	if res := C.avcodec_open2(e.ctx, codec, nil); res < 0 {
		e.Close()
		return nil, avError("avcodec_open2(libx264)", res)
	}
	e.pkt = C.av_packet_alloc()
	e.frame = C.av_frame_alloc()
	if e.pkt == nil || e.frame == nil {
		e.Close()
		return nil, errors.New("decode: out of memory allocating AVPacket/AVFrame")
	}
	e.frame.width, e.frame.height, e.frame.format = C.int(c.Width), C.int(c.Height), C.AV_PIX_FMT_YUV420P
	e.frame.color_range = rng
	if res := C.av_frame_get_buffer(e.frame, 0); res < 0 {
		e.Close()
		return nil, avError("av_frame_get_buffer", res)
	}
	if err := e.readHeaders(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Encoder) setOption(name, value string) error {
	n, v := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(n))
	defer C.free(unsafe.Pointer(v))
	if res := C.av_opt_set(e.ctx.priv_data, n, v, 0); res < 0 {
		return avError(fmt.Sprintf("av_opt_set(%s=%s)", name, value), res)
	}
	return nil
}

// readHeaders takes SPS and PPS from the global header libx264 wrote.
func (e *Encoder) readHeaders() error {
	if e.ctx.extradata == nil || e.ctx.extradata_size <= 0 {
		return errors.New("decode: libx264 wrote no SPS/PPS header")
	}
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(C.GoBytes(unsafe.Pointer(e.ctx.extradata), e.ctx.extradata_size)); err != nil {
		return fmt.Errorf("decode: libx264 header: %w", err)
	}
	for _, n := range nalus {
		switch {
		case len(n) == 0:
		case h264.NALUType(n[0]&0x1f) == h264.NALUTypeSPS:
			e.sps = n
		case h264.NALUType(n[0]&0x1f) == h264.NALUTypePPS:
			e.pps = n
		}
	}
	if e.sps == nil || e.pps == nil {
		return errors.New("decode: libx264 header lacks SPS or PPS")
	}
	return nil
}

// SPS is the stream's sequence parameter set (no start code).
func (e *Encoder) SPS() []byte { return e.sps }

// PPS is the stream's picture parameter set (no start code).
func (e *Encoder) PPS() []byte { return e.pps }

// Close frees the encoder's C memory; safe to call more than once.
func (e *Encoder) Close() {
	if e.frame != nil {
		C.av_frame_free(&e.frame)
	}
	if e.pkt != nil {
		C.av_packet_free(&e.pkt)
	}
	if e.ctx != nil {
		C.avcodec_free_context(&e.ctx)
	}
}

// Encode encodes pic (4:2:0, Width×Height, at the config's range: full
// unless LimitedRange) shown at pts (90 kHz, increasing); keyframe makes it
// an IDR. It returns the access units ready,
// in order: zero or more, each for a picture given to Encode earlier or now.
// pic is copied; the caller may reuse it.
func (e *Encoder) Encode(pic *image.YCbCr, pts int64, keyframe bool) ([]EncodedAU, error) {
	if e.ctx == nil || e.frame == nil {
		return nil, ErrEncoderClosed
	}
	if err := e.check(pic); err != nil {
		return nil, err
	}
	if err := e.writable(pts); err != nil {
		return nil, err
	}
	r := pic.Rect
	cw, ch := (e.w+1)/2, (e.h+1)/2
	fillPlane(e.frame, 0, pic.Y[pic.YOffset(r.Min.X, r.Min.Y):], pic.YStride, e.w, e.h)
	fillPlane(e.frame, 1, pic.Cb[pic.COffset(r.Min.X, r.Min.Y):], pic.CStride, cw, ch)
	fillPlane(e.frame, 2, pic.Cr[pic.COffset(r.Min.X, r.Min.Y):], pic.CStride, cw, ch)
	return e.send(pts, keyframe)
}

// EncodeFrame encodes a decoded picture as it is, with the pixels marked in
// mask (row-major, Width×Height, as zones.Rasterize makes it; nil for none)
// blacked out on the way: luma black for the picture's range, chroma
// neutral, and a chroma sample blacked when any of its four luma pixels is
// (see Mask). The Frame must be current (not stale), of the encoder's size
// and of its range (Frame.FullRange against EncoderConfig.LimitedRange).
// Otherwise it is Encode.
func (e *Encoder) EncodeFrame(f *Frame, mask []bool, pts int64, keyframe bool) ([]EncodedAU, error) {
	if e.ctx == nil || e.frame == nil {
		return nil, ErrEncoderClosed
	}
	src := f.pic()
	if src == nil {
		return nil, errors.New("decode: encoder: the frame is stale (decoded over, flushed or closed)")
	}
	if w, h := int(src.width), int(src.height); w != e.w || h != e.h {
		return nil, fmt.Errorf("decode: encoder picture %dx%d, the encoder is %dx%d (a new size needs a new encoder)", w, h, e.w, e.h)
	}
	if full := isFullRange(src); full != e.full {
		return nil, fmt.Errorf("decode: encoder: picture full range %v, encoder full range %v", full, e.full)
	}
	if mask != nil && len(mask) != e.w*e.h {
		return nil, fmt.Errorf("decode: mask of %d pixels for a %dx%d picture", len(mask), e.w, e.h)
	}
	if err := e.writable(pts); err != nil {
		return nil, err
	}
	cw, ch := (e.w+1)/2, (e.h+1)/2
	for i, sz := range [3][2]int{{e.w, e.h}, {cw, ch}, {cw, ch}} {
		stride := int(src.linesize[i])
		fillPlane(e.frame, i, unsafe.Slice((*byte)(unsafe.Pointer(src.data[i])), stride*(sz[1]-1)+sz[0]), stride, sz[0], sz[1])
	}
	if mask != nil {
		black := byte(blackLimited)
		if e.full {
			black = blackFull
		}
		mask420(e.plane(0, e.w, e.h), int(e.frame.linesize[0]), e.plane(1, cw, ch), e.plane(2, cw, ch),
			int(e.frame.linesize[1]), e.w, e.h, mask, black)
	}
	return e.send(pts, keyframe)
}

// Repeat encodes the last picture given again, at pts: for a picture lost
// in decoding, so the timeline keeps its place.
func (e *Encoder) Repeat(pts int64, keyframe bool) ([]EncodedAU, error) {
	if e.ctx == nil || e.frame == nil {
		return nil, ErrEncoderClosed
	}
	if !e.started {
		return nil, errors.New("decode: encoder: no picture to repeat yet")
	}
	if err := e.writable(pts); err != nil { // keeps the picture
		return nil, err
	}
	return e.send(pts, keyframe)
}

// FullRange reports whether the picture is full range (luma 0-255, JPEG
// levels) rather than limited (16-235); false for a stale Frame.
func (f *Frame) FullRange() bool {
	p := f.pic()
	return p != nil && isFullRange(p)
}

// plane is plane i (rows of n bytes) of the encoder's input frame.
func (e *Encoder) plane(i, n, rows int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(e.frame.data[i])), int(e.frame.linesize[i])*(rows-1)+n)
}

// writable checks pts and makes the input frame writable (libavcodec may
// still hold the last one), keeping its picture.
func (e *Encoder) writable(pts int64) error {
	if e.started && pts <= e.lastPTS {
		return fmt.Errorf("decode: encoder pts %d after %d: pts must increase", pts, e.lastPTS)
	}
	if res := C.av_frame_make_writable(e.frame); res < 0 {
		return avError("av_frame_make_writable", res)
	}
	return nil
}

// send hands the input frame to libx264 and takes what is ready.
func (e *Encoder) send(pts int64, keyframe bool) ([]EncodedAU, error) {
	e.frame.pts = C.int64_t(pts)
	e.frame.pict_type = C.AV_PICTURE_TYPE_NONE
	if keyframe || !e.started {
		e.frame.pict_type = C.AV_PICTURE_TYPE_I
	}
	if res := C.avcodec_send_frame(e.ctx, e.frame); res < 0 {
		return nil, avError("avcodec_send_frame", res)
	}
	e.started, e.lastPTS = true, pts
	return e.receive(nil)
}

// check refuses a picture the encoder cannot take.
func (e *Encoder) check(pic *image.YCbCr) error {
	if pic == nil {
		return errors.New("decode: encoder: nil picture")
	}
	if pic.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("decode: encoder takes 4:2:0 pictures, not %v", pic.SubsampleRatio)
	}
	r := pic.Rect
	if r.Dx() != e.w || r.Dy() != e.h {
		return fmt.Errorf("decode: encoder picture %dx%d, the encoder is %dx%d (a new size needs a new encoder)", r.Dx(), r.Dy(), e.w, e.h)
	}
	cw, ch := (e.w+1)/2, (e.h+1)/2
	yEnd := pic.YOffset(r.Min.X, r.Min.Y) + (e.h-1)*pic.YStride + e.w
	cEnd := pic.COffset(r.Min.X, r.Min.Y) + (ch-1)*pic.CStride + cw
	if pic.YStride < e.w || pic.CStride < cw || yEnd > len(pic.Y) || cEnd > len(pic.Cb) || cEnd > len(pic.Cr) ||
		pic.YOffset(r.Min.X, r.Min.Y) < 0 || pic.COffset(r.Min.X, r.Min.Y) < 0 {
		return errors.New("decode: encoder picture planes are shorter than its size says")
	}
	return nil
}

// fillPlane copies rows of n bytes from src into plane i of the C frame.
func fillPlane(dst *C.AVFrame, i int, src []byte, srcStride, n, rows int) {
	stride := int(dst.linesize[i])
	plane := unsafe.Slice((*byte)(unsafe.Pointer(dst.data[i])), stride*(rows-1)+n)
	for y := range rows {
		copy(plane[y*stride:y*stride+n], src[y*srcStride:y*srcStride+n])
	}
}

// Flush ends the stream and returns the access units still held. The
// Encoder takes no more pictures after it (Encode returns
// ErrEncoderClosed); Close it.
func (e *Encoder) Flush() ([]EncodedAU, error) {
	if e.ctx == nil || e.frame == nil {
		return nil, ErrEncoderClosed
	}
	if res := C.avcodec_send_frame(e.ctx, nil); res < 0 {
		return nil, avError("avcodec_send_frame(flush)", res)
	}
	aus, err := e.receive(nil)
	C.av_frame_free(&e.frame) // no more input
	return aus, err
}

// receive appends every access unit libx264 has ready to out.
func (e *Encoder) receive(out []EncodedAU) ([]EncodedAU, error) {
	for {
		res := C.avcodec_receive_packet(e.ctx, e.pkt)
		if res == C.vigil_eagain() || res == C.vigil_eof() {
			return out, nil
		}
		if res < 0 {
			return out, avError("avcodec_receive_packet", res)
		}
		data := C.GoBytes(unsafe.Pointer(e.pkt.data), e.pkt.size)
		au := EncodedAU{PTS: int64(e.pkt.pts), Keyframe: e.pkt.flags&C.AV_PKT_FLAG_KEY != 0}
		C.av_packet_unref(e.pkt)
		var nalus h264.AnnexB
		if err := nalus.Unmarshal(data); err != nil {
			return out, fmt.Errorf("decode: libx264 output: %w", err)
		}
		for _, n := range nalus {
			if len(n) == 0 {
				continue
			}
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS, h264.NALUTypePPS, h264.NALUTypeAccessUnitDelimiter:
				continue
			}
			au.NALUs = append(au.NALUs, n)
		}
		if len(au.NALUs) == 0 {
			return out, errors.New("decode: libx264 gave an access unit without slices")
		}
		out = append(out, au)
	}
}
