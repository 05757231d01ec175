package playback

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/vigil-cctv/vigil/recorder/segment"
)

// A segment is indexed by segment.Scan, which reads it from the start. To
// start playback in the middle of a long segment without indexing all that
// comes before, the walker scans a window of the file: segment.Scan runs on
// the segment's init followed by the file's bytes from a fragment boundary
// (spliceReader), and every fragment it finds is validated as usual. The
// window is chosen from the index times (fragments are about equally long
// in bytes and time); its first fragment is found by its prft magic, and the
// window is used only if it holds a keyframe at or before from and reaches
// past from; otherwise the segment is indexed from its start. The rest of the
// segment is indexed when the walk gets there, and must continue the
// window's fragment sequence numbers.

const (
	// windowBefore and windowAfter widen the window around from, in time.
	windowBefore = 10 * time.Second
	windowAfter  = 5 * time.Second
	// windowMargin is added to the window's estimated end, in bytes.
	windowMargin = 256 << 10
	// maxResync bounds the bytes searched for a fragment start.
	maxResync = 8 << 20
)

// fragmentMagic starts every fragment: a 32-byte version 1 prft box.
var fragmentMagic = []byte{0, 0, 0, 32, 'p', 'r', 'f', 't', 1}

// spliceReader reads init followed by r from base.
type spliceReader struct {
	init []byte
	r    io.ReaderAt
	base int64
}

func (s *spliceReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < int64(len(s.init)) {
		n = copy(p, s.init[off:])
		if n == len(p) {
			return n, nil
		}
		off += int64(n)
	}
	m, err := s.r.ReadAt(p[n:], s.base+off-int64(len(s.init)))
	return n + m, err
}

// readInit reads the segment's init (ftyp, moov, stream box); Scan checks
// it.
func readInit(f io.ReaderAt, size int64) ([]byte, error) {
	var end int64
	var h [8]byte
	for range 3 {
		if _, err := f.ReadAt(h[:], end); err != nil {
			return nil, err
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		if n < 8 || end+n > min(size, 3<<20) {
			return nil, fmt.Errorf("init box of %d bytes at %d", n, end)
		}
		end += n
	}
	b := make([]byte, end)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	return b, nil
}

// scanWindow indexes the fragments in [start, end) of the file, start
// being where a fragment starts; offsets are of the file.
func (o *openSeg) scanWindow(start, end int64) (*segment.Index, error) {
	sr := &spliceReader{init: o.init, r: o.f, base: start}
	vsize := int64(len(o.init)) + end - start
	idx, err := segment.Scan(newHeaderReader(sr, vsize), vsize)
	if err != nil {
		return nil, err
	}
	shift := start - int64(len(o.init))
	for i := range idx.Fragments {
		f := &idx.Fragments[i]
		f.Offset += shift
		f.MoofOffset += shift
		f.DataOffset += shift
	}
	idx.Complete += shift
	idx.Size = end
	return idx, nil
}

// findFragment returns the offset of the first fragment magic at or after
// off.
func findFragment(f io.ReaderAt, off, size int64) (int64, bool) {
	buf := make([]byte, 64<<10)
	for p := off; p < size && p < off+maxResync; p += int64(len(buf) - len(fragmentMagic)) {
		n, _ := f.ReadAt(buf, p)
		if n < len(fragmentMagic) {
			return 0, false
		}
		if i := bytes.Index(buf[:n], fragmentMagic); i >= 0 {
			return p + int64(i), true
		}
	}
	return 0, false
}

// window picks the part of o's file to index first for playback from
// from: [start, end). It is the whole file when from is zero or cannot be
// placed.
func (o *openSeg) window(spanStart, spanEnd, from time.Time) (int64, int64) {
	init := int64(len(o.init))
	span := spanEnd.Sub(spanStart)
	if from.IsZero() || span <= 0 || !from.After(spanStart) {
		return init, o.size
	}
	at := func(t time.Time) int64 {
		return init + int64(float64(t.Sub(spanStart))/float64(span)*float64(o.size-init))
	}
	start, end := init, at(from.Add(windowAfter))+windowMargin
	if g := at(from.Add(-windowBefore)); g > init {
		if x, ok := findFragment(o.f, g, o.size); ok {
			start = x
		}
	}
	return start, min(end, o.size)
}

// continueScan indexes the rest of the file after a window.
func (o *openSeg) continueScan() error {
	last := o.idx.Fragments[len(o.idx.Fragments)-1]
	idx, err := o.scanWindow(o.idx.Complete, o.size)
	if err != nil {
		return err
	}
	if len(idx.Fragments) > 0 && idx.Fragments[0].Sequence != last.Sequence+1 {
		return fmt.Errorf("fragment %d at offset %d follows fragment %d", idx.Fragments[0].Sequence,
			idx.Fragments[0].Offset, last.Sequence)
	}
	o.idx, o.frag, o.partial = idx, 0, false
	return nil
}
