package decode

// #cgo pkg-config: libavcodec libavutil libswscale
// #include <stdlib.h>
// #include <string.h>
// #include "av.h"
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

const (
	// MaxAccessUnitSize bounds one access unit (NALU payloads plus start
	// codes); a 4K IDR at high quality is a few MiB.
	MaxAccessUnitSize = 16 << 20
	// MaxPixels bounds a picture (8K UHD); larger SPS dimensions are refused
	// by libavcodec before it allocates.
	MaxPixels = 7680 * 4320
)

// Decoder decodes one H.264 stream with libavcodec on a single thread.
//
// A Decoder is not safe for concurrent use: use one per stream, from one
// goroutine (or behind the caller's own lock).
type Decoder struct {
	ctx   *C.AVCodecContext
	pkt   *C.AVPacket
	frame *C.AVFrame // the latest picture, as decoded
	next  *C.AVFrame // receive scratch
	in    *C.uint8_t // Annex-B input buffer (C memory, padded)
	inCap int

	toYUV converter // non-4:2:0 or non-8-bit output → 8-bit 4:2:0
	rgba  converter
	ycc   converter
	thumb converter
	small converter // GraySmall's

	pic     *C.AVFrame // frame, or toYUV's output: what Frame methods read
	gen     uint64     // bumped by every Decode; a Frame is valid while equal
	started bool       // a picture came out since New or Flush
}

// New returns a single-threaded H.264 decoder.
func New() (*Decoder, error) {
	return newDecoder(MaxPixels, false)
}

// NewForAnalysis is New for pictures that are only analysed, small: it
// skips the deblocking filter on all but keyframes, which saves about a
// fifth of the decoding. The pictures drift slightly from the encoder's
// until the next keyframe (block edges show), which the analysis, at a
// quarter of the width or less, averages away. Never show them to people.
func NewForAnalysis() (*Decoder, error) {
	return newDecoder(MaxPixels, true)
}

// newDecoder is New with a picture size bound (the fuzzer keeps it small).
func newDecoder(maxPixels int64, analysis bool) (*Decoder, error) {
	C.vigil_quiet_log()
	codec := C.avcodec_find_decoder(C.AV_CODEC_ID_H264)
	if codec == nil {
		return nil, errors.New("decode: libavcodec has no H.264 decoder")
	}
	d := &Decoder{}
	d.ctx = C.avcodec_alloc_context3(codec)
	if d.ctx == nil {
		return nil, errors.New("decode: avcodec_alloc_context3 failed")
	}
	d.ctx.thread_count = 1
	d.ctx.max_pixels = C.int64_t(maxPixels)
	if analysis {
		d.ctx.skip_loop_filter = C.AVDISCARD_NONKEY
	}
	if res := C.avcodec_open2(d.ctx, codec, nil); res < 0 {
		d.Close()
		return nil, avError("avcodec_open2", res)
	}
	d.pkt = C.av_packet_alloc()
	d.frame = C.av_frame_alloc()
	d.next = C.av_frame_alloc()
	if d.pkt == nil || d.frame == nil || d.next == nil {
		d.Close()
		return nil, errors.New("decode: out of memory allocating AVPacket/AVFrame")
	}
	return d, nil
}

// Close frees the decoder's C memory. It is safe to call more than once;
// Decode after Close returns ErrClosed and Frames from it become invalid.
func (d *Decoder) Close() {
	d.gen++
	d.pic = nil
	d.toYUV.free()
	d.rgba.free()
	d.ycc.free()
	d.thumb.free()
	d.small.free()
	if d.next != nil {
		C.av_frame_free(&d.next)
	}
	if d.frame != nil {
		C.av_frame_free(&d.frame)
	}
	if d.pkt != nil {
		C.av_packet_free(&d.pkt)
	}
	if d.ctx != nil {
		C.avcodec_free_context(&d.ctx)
	}
	if d.in != nil {
		C.free(unsafe.Pointer(d.in))
		d.in, d.inCap = nil, 0
	}
}

// Decode feeds one access unit (NAL units without start codes; they are
// Annex-B prefixed here) and returns the picture it completes, or nil when
// there is nothing to show yet: parameter sets alone, slices before the
// first IDR (joining a stream mid-GOP), or pictures held for reordering
// (streams with B-frames; see Flush). Should one access unit release more
// than one picture, the latest is returned. Errors describe damaged or oversized
// input and are not fatal: keep feeding, the next IDR recovers.
//
// The returned Frame, and any Frame before it, is valid until the next
// Decode, Flush or Close.
func (d *Decoder) Decode(nalus [][]byte) (*Frame, error) {
	if d.ctx == nil {
		return nil, ErrClosed
	}
	d.gen++
	d.pic = nil
	n, err := d.fill(nalus)
	if err != nil {
		return nil, err
	}
	d.pkt.data = d.in
	d.pkt.size = C.int(n)
	res := C.avcodec_send_packet(d.ctx, d.pkt)
	got := false
	if res == C.vigil_eagain() {
		// Pictures are waiting: take them, then the packet fits.
		if got, err = d.drain(); err == nil {
			res = C.avcodec_send_packet(d.ctx, d.pkt)
		}
	}
	d.pkt.data, d.pkt.size = nil, 0
	var sendErr error
	if res == C.AVERROR_INVALIDDATA && d.waiting(nalus) {
		// libavcodec says "no frame!" for parameter sets alone and for
		// slices before the first keyframe: normal when joining a stream.
		res = 0
	}
	if res < 0 {
		// Damaged input. A rejected packet may still have let an earlier
		// picture out, so look before reporting it.
		sendErr = avError("avcodec_send_packet", res)
	}
	more, err := d.drain()
	if err != nil {
		return nil, err
	}
	if !got && !more {
		return nil, sendErr
	}
	return d.current()
}

// waiting reports whether an access unit that gave libavcodec no picture
// is expected to: it has no slice, or the stream has not reached its first
// IDR yet and this is not one.
func (d *Decoder) waiting(nalus [][]byte) bool {
	slice, idr := false, false
	for _, n := range nalus {
		switch n[0] & 0x1f {
		case 1, 2, 3, 4: // non-IDR slice, slice data partitions
			slice = true
		case 5:
			slice, idr = true, true
		}
	}
	return !slice || (!d.started && !idr)
}

// Flush drains the pictures the decoder still holds (with B-frames,
// pictures come out late), returns the last of them, or nil when none was
// held, and resets the decoder for a new stream, which must start with a
// keyframe.
func (d *Decoder) Flush() (*Frame, error) {
	if d.ctx == nil {
		return nil, ErrClosed
	}
	d.gen++
	d.pic = nil
	if res := C.avcodec_send_packet(d.ctx, nil); res < 0 && res != C.vigil_eof() {
		return nil, avError("avcodec_send_packet(flush)", res)
	}
	got, err := d.drain()
	C.avcodec_flush_buffers(d.ctx)
	d.started = false
	if err != nil || !got {
		return nil, err
	}
	return d.current()
}

// fill writes nalus as Annex-B into the padded C input buffer.
func (d *Decoder) fill(nalus [][]byte) (int, error) {
	if len(nalus) == 0 {
		return 0, errors.New("decode: empty access unit")
	}
	size := 0
	for i, nalu := range nalus {
		if len(nalu) == 0 {
			return 0, fmt.Errorf("decode: NAL unit %d is empty", i)
		}
		size += 4 + len(nalu)
		if size > MaxAccessUnitSize {
			return 0, fmt.Errorf("%w: over %d bytes", ErrTooLarge, MaxAccessUnitSize)
		}
	}
	pad := int(C.vigil_padding())
	if d.inCap < size+pad {
		c := max(size+pad, 2*d.inCap, 64<<10)
		c = min(c, MaxAccessUnitSize+pad)
		p := C.realloc(unsafe.Pointer(d.in), C.size_t(c))
		if p == nil {
			return 0, errors.New("decode: out of memory for the input buffer")
		}
		d.in, d.inCap = (*C.uint8_t)(p), c
	}
	buf := unsafe.Slice((*byte)(unsafe.Pointer(d.in)), d.inCap)
	n := 0
	for _, nalu := range nalus {
		n += copy(buf[n:], []byte{0, 0, 0, 1})
		n += copy(buf[n:], nalu)
	}
	clear(buf[n : n+pad]) // libavcodec reads past the end; the padding must be zero
	return n, nil
}

// drain takes every picture the decoder has ready into d.frame, keeping the
// last, and reports whether there was one.
func (d *Decoder) drain() (bool, error) {
	got := false
	for {
		res := C.avcodec_receive_frame(d.ctx, d.next)
		if res == C.vigil_eagain() || res == C.vigil_eof() {
			return got, nil
		}
		if res < 0 {
			return got, avError("avcodec_receive_frame", res)
		}
		C.av_frame_unref(d.frame)
		C.av_frame_move_ref(d.frame, d.next)
		got = true
	}
}

// current wraps d.frame, converted to 8-bit 4:2:0 when it is not, as a Frame.
func (d *Decoder) current() (*Frame, error) {
	pic := d.frame
	if !is8bit420(pic) {
		out, err := d.toYUV.run(pic, int(pic.width), int(pic.height), yuv420Target(pic), C.SWS_BILINEAR)
		if err != nil {
			return nil, err
		}
		pic = out
	}
	d.pic = pic
	d.started = true
	return &Frame{
		Width:    int(pic.width),
		Height:   int(pic.height),
		Keyframe: C.vigil_frame_key(d.frame) != 0,
		Corrupt:  C.vigil_frame_corrupt(d.frame) != 0,
		d:        d,
		gen:      d.gen,
	}, nil
}
