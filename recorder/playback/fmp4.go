package playback

import (
	"context"
	"encoding/binary"
	"errors"
	"io"

	"github.com/vigil-cctv/vigil/recorder/mp4box"
)

// WriteFMP4 streams the range to w as one fragmented MP4: the first
// segment's init (ftyp, moov, Vigil stream box), then one prft+moof+mdat
// per segment fragment in the range, on the continuous timeline the package
// doc describes. It reads and writes one fragment at a time and stops when
// ctx is done (the client went away).
//
// Nothing is written before the first fragment is ready, so errors about
// the range (ErrBadRange, ErrRangeTooLong, *NoFootageError) come before any
// byte. A nil or *IncompleteError return follows a complete stream; any
// other error after the first byte means the stream was cut short.
func (p *Player) WriteFMP4(ctx context.Context, w io.Writer, r *Range) error {
	if err := checkLength(r, p.MaxStream, DefaultMaxStream, "a stream"); err != nil {
		return err
	}
	wk := newWalker(p.opener(), r, true)
	defer wk.close()
	var head []byte
	var seq uint32
	for {
		c, err := wk.nextChunk(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if seq == 0 {
			if _, err := w.Write(wk.init()); err != nil {
				return err
			}
		}
		seq++
		head = appendFragmentHeader(head[:0], seq, c)
		if _, err := w.Write(head); err != nil {
			return err
		}
		if _, err := w.Write(c.data); err != nil {
			return err
		}
	}
	if seq == 0 {
		return wk.noFootage()
	}
	return wk.incomplete()
}

// appendFragmentHeader appends prft, moof and the mdat header of a chunk,
// in the segment format (so segment.Scan reads the stream back).
func appendFragmentHeader(b []byte, seq uint32, c *chunk) []byte {
	b, prft := mp4box.FullStart(b, "prft", 1, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint64(b, toNTP(c.wall))
	b = binary.BigEndian.AppendUint64(b, c.firstPTS)
	mp4box.End(b, prft)

	b, moof := mp4box.Start(b, "moof")
	b, mfhd := mp4box.FullStart(b, "mfhd", 0, 0)
	b = binary.BigEndian.AppendUint32(b, seq)
	mp4box.End(b, mfhd)
	b, traf := mp4box.Start(b, "traf")
	b, tfhd := mp4box.FullStart(b, "tfhd", 0, 0x020000) // default-base-is-moof
	b = binary.BigEndian.AppendUint32(b, 1)
	mp4box.End(b, tfhd)
	b, tfdt := mp4box.FullStart(b, "tfdt", 1, 0)
	b = binary.BigEndian.AppendUint64(b, c.dts)
	mp4box.End(b, tfdt)
	flags := uint32(0x000001 | 0x000100 | 0x000200 | 0x000400)
	for _, s := range c.samples {
		if s.cts != 0 {
			flags |= 0x000800
			break
		}
	}
	b, trun := mp4box.FullStart(b, "trun", 1, flags)
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.samples)))
	dataOffset := len(b)
	b = mp4box.Zeros(b, 4)
	for _, s := range c.samples {
		b = binary.BigEndian.AppendUint32(b, s.duration)
		b = binary.BigEndian.AppendUint32(b, s.size)
		if s.keyframe {
			b = binary.BigEndian.AppendUint32(b, 0x02000000)
		} else {
			b = binary.BigEndian.AppendUint32(b, 0x01010000)
		}
		if flags&0x000800 != 0 {
			b = binary.BigEndian.AppendUint32(b, uint32(s.cts))
		}
	}
	mp4box.End(b, trun)
	mp4box.End(b, traf)
	mp4box.End(b, moof)
	binary.BigEndian.PutUint32(b[dataOffset:], uint32(len(b)-moof+8))
	b = binary.BigEndian.AppendUint32(b, uint32(8+c.dataLen))
	return append(b, "mdat"...)
}
