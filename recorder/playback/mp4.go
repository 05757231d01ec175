package playback

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/vigil-cctv/vigil/recorder/mp4box"
)

// mp4Chunk is one run of samples of one segment fragment: one MP4 chunk.
type mp4Chunk struct {
	seg     int
	off     int64 // in the segment file
	size    int64
	samples uint32
}

// tables are the sample tables of a progressive MP4, built in the first
// pass: memory grows with the number of samples, not bytes.
type tables struct {
	durations []uint32
	sizes     []uint32
	cts       []int32
	hasCTS    bool
	sync      []uint32 // 1-based sample numbers of keyframes
	chunks    []mp4Chunk
	data      int64  // total sample bytes
	end       uint64 // decode time after the last sample
}

func (t *tables) add(c *chunk) {
	if n := len(t.durations); n > 0 && c.dts > t.end {
		// A gap: the last frame before it is shown until the next one.
		d := uint64(t.durations[n-1]) + c.dts - t.end
		t.durations[n-1] = uint32(min(d, math.MaxUint32))
	}
	for _, s := range c.samples {
		t.durations = append(t.durations, s.duration)
		t.sizes = append(t.sizes, s.size)
		t.cts = append(t.cts, s.cts)
		if s.cts != 0 {
			t.hasCTS = true
		}
		if s.keyframe {
			t.sync = append(t.sync, uint32(len(t.sizes)))
		}
	}
	t.chunks = append(t.chunks, mp4Chunk{seg: c.seg, off: c.dataOff, size: c.dataLen, samples: uint32(len(c.samples))})
	t.data += c.dataLen
	t.end = c.dts
	for _, s := range c.samples {
		t.end += uint64(s.duration)
	}
}

func (t *tables) duration() uint64 {
	var d uint64
	for _, v := range t.durations {
		d += uint64(v)
	}
	return d
}

// WriteMP4 writes the range to w as one progressive MP4 (ftyp, moov with
// complete sample tables, then one mdat) that any player opens, on the
// timeline the package doc describes; a gap extends the last frame before
// it. The first pass reads only moofs (sizes, durations, flags) to build the
// tables; the second copies the sample data, fragment by fragment. Chunk
// offsets are 64-bit (co64) and mdat has a 64-bit size when the file
// exceeds 4 GiB.
//
// Errors about the range, and *NoFootageError, come before any byte. A nil
// or *IncompleteError return follows a complete file; any other error
// after the first byte means the file is broken and must be discarded.
func (p *Player) WriteMP4(ctx context.Context, w io.Writer, r *Range) error {
	if err := checkLength(r, p.MaxDownload, DefaultMaxDownload, "a download"); err != nil {
		return err
	}
	wk := newWalker(p.opener(), r, false)
	defer wk.close()
	var t tables
	for {
		c, err := wk.nextChunk(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		t.add(c)
	}
	if len(t.chunks) == 0 {
		return wk.noFootage()
	}
	stsd := findPath(wk.initData, "moov", "trak", "mdia", "minf", "stbl", "stsd")
	if stsd == nil {
		return wk.segErr(t.chunks[0].seg, fmt.Errorf("no stsd in the init"))
	}
	head := buildHead(&t, stsd, wk.first.Width, wk.first.Height)
	if _, err := w.Write(head); err != nil {
		return err
	}
	if err := copyChunks(ctx, w, wk, &t); err != nil {
		return err
	}
	return wk.incomplete()
}

// copyChunks is the second pass: the sample data of every chunk, in order.
func copyChunks(ctx context.Context, w io.Writer, wk *walker, t *tables) error {
	buf := make([]byte, 64<<10)
	var f File
	cur := -1
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for _, c := range t.chunks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.seg != cur {
			if f != nil {
				f.Close()
				f = nil
			}
			var err error
			if f, err = wk.openFile(&wk.r.Segments[c.seg]); err != nil {
				return wk.segErr(c.seg, err)
			}
			cur = c.seg
		}
		n, err := io.CopyBuffer(w, io.NewSectionReader(f, c.off, c.size), buf)
		if err == nil && n != c.size {
			err = fmt.Errorf("%d bytes at offset %d, %d read: the file changed", c.size, c.off, n)
		}
		if err != nil {
			return wk.segErr(c.seg, err)
		}
	}
	return nil
}

// buildHead builds ftyp, moov and the mdat header for the tables.
func buildHead(t *tables, stsd []byte, width, height int) []byte {
	ftyp := []byte{0, 0, 0, 0x20, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0}
	ftyp = append(ftyp, "isomiso2avc1mp41"...)

	large := t.data+8 > math.MaxUint32
	mdatHead := 8
	if large {
		mdatHead = 16
	}
	// Offsets relative to the mdat payload, then made absolute once the
	// moov size is known; the co64 decision cannot change that size after.
	co64 := false
	moov := buildMoov(nil, t, stsd, width, height, co64, 0)
	if int64(len(ftyp)+len(moov)+mdatHead)+t.data > math.MaxUint32 {
		co64 = true
		moov = buildMoov(nil, t, stsd, width, height, co64, 0)
	}
	base := int64(len(ftyp) + len(moov) + mdatHead)
	moov = buildMoov(moov[:0], t, stsd, width, height, co64, base)

	b := append(ftyp, moov...)
	if large {
		b = binary.BigEndian.AppendUint32(b, 1)
		b = append(b, "mdat"...)
		b = binary.BigEndian.AppendUint64(b, uint64(16+t.data))
	} else {
		b = binary.BigEndian.AppendUint32(b, uint32(8+t.data))
		b = append(b, "mdat"...)
	}
	return b
}

func buildMoov(b []byte, t *tables, stsd []byte, width, height int, co64 bool, base int64) []byte {
	dur := t.duration()
	durMS := dur * 1000 / 90000

	b, moov := mp4box.Start(b, "moov")
	b, mvhd := mp4box.FullStart(b, "mvhd", 1, 0)
	b = mp4box.Zeros(b, 16) // creation, modification time
	b = binary.BigEndian.AppendUint32(b, 1000)
	b = binary.BigEndian.AppendUint64(b, durMS)
	b = binary.BigEndian.AppendUint32(b, 0x00010000) // rate
	b = binary.BigEndian.AppendUint16(b, 0x0100)     // volume
	b = mp4box.Zeros(b, 10)
	b = mp4box.Matrix(b)
	b = mp4box.Zeros(b, 24)
	b = binary.BigEndian.AppendUint32(b, 2) // next track ID
	mp4box.End(b, mvhd)

	b, trak := mp4box.Start(b, "trak")
	b, tkhd := mp4box.FullStart(b, "tkhd", 1, 3) // enabled, in movie
	b = mp4box.Zeros(b, 16)
	b = binary.BigEndian.AppendUint32(b, 1) // track ID
	b = mp4box.Zeros(b, 4)
	b = binary.BigEndian.AppendUint64(b, durMS)
	b = mp4box.Zeros(b, 8+2+2+2+2)
	b = mp4box.Matrix(b)
	b = binary.BigEndian.AppendUint32(b, uint32(width)<<16)
	b = binary.BigEndian.AppendUint32(b, uint32(height)<<16)
	mp4box.End(b, tkhd)

	b, mdia := mp4box.Start(b, "mdia")
	b, mdhd := mp4box.FullStart(b, "mdhd", 1, 0)
	b = mp4box.Zeros(b, 16)
	b = binary.BigEndian.AppendUint32(b, 90000)
	b = binary.BigEndian.AppendUint64(b, dur)
	b = binary.BigEndian.AppendUint16(b, 0x55c4) // "und"
	b = mp4box.Zeros(b, 2)
	mp4box.End(b, mdhd)
	b = mp4box.VideoHandler(b)

	b, minf := mp4box.Start(b, "minf")
	b = mp4box.VideoMediaInfo(b)

	b, stbl := mp4box.Start(b, "stbl")
	b = append(b, stsd...)

	// stts: runs of equal durations.
	b, stts := mp4box.FullStart(b, "stts", 0, 0)
	cnt := len(b)
	b = mp4box.Zeros(b, 4)
	var entries uint32
	for i := 0; i < len(t.durations); {
		j := i + 1
		for j < len(t.durations) && t.durations[j] == t.durations[i] {
			j++
		}
		b = binary.BigEndian.AppendUint32(b, uint32(j-i))
		b = binary.BigEndian.AppendUint32(b, t.durations[i])
		entries++
		i = j
	}
	binary.BigEndian.PutUint32(b[cnt:], entries)
	mp4box.End(b, stts)

	if t.hasCTS {
		b, ctts := mp4box.FullStart(b, "ctts", 1, 0) // version 1: signed offsets
		cnt := len(b)
		b = mp4box.Zeros(b, 4)
		entries = 0
		for i := 0; i < len(t.cts); {
			j := i + 1
			for j < len(t.cts) && t.cts[j] == t.cts[i] {
				j++
			}
			b = binary.BigEndian.AppendUint32(b, uint32(j-i))
			b = binary.BigEndian.AppendUint32(b, uint32(t.cts[i]))
			entries++
			i = j
		}
		binary.BigEndian.PutUint32(b[cnt:], entries)
		mp4box.End(b, ctts)
	}

	if len(t.sync) < len(t.sizes) {
		b, stss := mp4box.FullStart(b, "stss", 0, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(len(t.sync)))
		for _, n := range t.sync {
			b = binary.BigEndian.AppendUint32(b, n)
		}
		mp4box.End(b, stss)
	}

	// stsc: runs of chunks with the same number of samples.
	b, stsc := mp4box.FullStart(b, "stsc", 0, 0)
	cnt = len(b)
	b = mp4box.Zeros(b, 4)
	entries = 0
	for i, c := range t.chunks {
		if i > 0 && t.chunks[i-1].samples == c.samples {
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(i+1))
		b = binary.BigEndian.AppendUint32(b, c.samples)
		b = binary.BigEndian.AppendUint32(b, 1)
		entries++
	}
	binary.BigEndian.PutUint32(b[cnt:], entries)
	mp4box.End(b, stsc)

	b, stsz := mp4box.FullStart(b, "stsz", 0, 0)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(t.sizes)))
	for _, s := range t.sizes {
		b = binary.BigEndian.AppendUint32(b, s)
	}
	mp4box.End(b, stsz)

	typ := "stco"
	if co64 {
		typ = "co64"
	}
	b, stco := mp4box.FullStart(b, typ, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(t.chunks)))
	off := base
	for _, c := range t.chunks {
		if co64 {
			b = binary.BigEndian.AppendUint64(b, uint64(off))
		} else {
			b = binary.BigEndian.AppendUint32(b, uint32(off))
		}
		off += c.size
	}
	mp4box.End(b, stco)

	mp4box.End(b, stbl)
	mp4box.End(b, minf)
	mp4box.End(b, mdia)
	mp4box.End(b, trak)
	mp4box.End(b, moov)
	return b
}
