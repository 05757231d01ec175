package segment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
)

// maxInitBox bounds the size of ftyp, moov and the stream box.
const maxInitBox = 1 << 20

// maxMoof bounds the size of a moof: 16 bytes a sample, 65536 samples.
const maxMoof = 1 << 20

// Index describes a segment file: its stream and its complete fragments.
type Index struct {
	Camera   string
	StreamID uuid.UUID
	Sequence uint64
	Start    time.Time // wall time of the first frame, from the stream box
	SPS, PPS []byte
	Width    int
	Height   int

	// InitSize is the size of ftyp+moov+stream box: where fragments start.
	InitSize int64

	Fragments []Fragment

	// Complete is the offset where the last complete fragment ends (InitSize
	// when there is none). Torn says bytes follow it that are not a complete
	// fragment: the end of a write cut short. Size is the size scanned.
	Complete int64
	Torn     bool
	Size     int64
}

// Fragment is one complete prft+moof+mdat of a segment.
type Fragment struct {
	Offset   int64  // of the prft box
	Size     int64  // prft+moof+mdat
	Sequence uint32 // mfhd sequence number

	BaseTime uint64 // decode time of the first sample, 90 kHz (tfdt)
	Duration uint64 // sum of the sample durations, 90 kHz
	Samples  int
	Keyframe bool // the first sample is a sync sample

	Wall      time.Time // prft: wall time (UTC) of the presentation time MediaTime
	MediaTime uint64    // prft media_time, 90 kHz

	MoofOffset int64
	MoofSize   int64
	DataOffset int64 // first byte of the mdat payload
	DataSize   int64
}

// End is the offset just after the fragment.
func (f *Fragment) End() int64 { return f.Offset + f.Size }

// Frames is the number of samples in all complete fragments.
func (x *Index) Frames() int {
	n := 0
	for i := range x.Fragments {
		n += x.Fragments[i].Samples
	}
	return n
}

// Duration is the media duration of all complete fragments.
func (x *Index) Duration() time.Duration {
	var d uint64
	for i := range x.Fragments {
		d += x.Fragments[i].Duration
	}
	return ticksDuration(int64(d))
}

// ErrCorrupt is wrapped by every error about a malformed segment.
var ErrCorrupt = errors.New("corrupt segment")

// ErrAltered is a segment file that no longer matches the size and hash
// it was sealed with (which the evidence log holds).
var ErrAltered = errors.New("segment file altered since it was sealed")

func corrupt(off int64, format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrCorrupt, off, fmt.Sprintf(format, args...))
}

// boxHeader is a parsed box header.
type boxHeader struct {
	typ  [4]byte
	size int64 // whole box
	hlen int64 // header length
}

// errTruncated is returned by readBoxHeader when the box does not fit the
// file.
var errTruncated = errors.New("truncated")

// readBoxHeader reads the header of the box at off. It returns errTruncated
// when the header or the box extends past size.
func readBoxHeader(r io.ReaderAt, off, size int64) (boxHeader, error) {
	var b [16]byte
	var h boxHeader
	if size-off < 8 {
		return h, errTruncated
	}
	if _, err := r.ReadAt(b[:8], off); err != nil {
		return h, fmt.Errorf("reading at %d: %w", off, err)
	}
	copy(h.typ[:], b[4:8])
	h.size, h.hlen = int64(binary.BigEndian.Uint32(b[:4])), 8
	switch h.size {
	case 0:
		if h.typ == [4]byte{} {
			return h, errZeros
		}
		return h, corrupt(off, "box %q extends to the end of the file", h.typ[:])
	case 1:
		if size-off < 16 {
			return h, errTruncated
		}
		if _, err := r.ReadAt(b[8:16], off+8); err != nil {
			return h, fmt.Errorf("reading at %d: %w", off, err)
		}
		u := binary.BigEndian.Uint64(b[8:16])
		if u > 1<<62 {
			return h, corrupt(off, "box %q too large", h.typ[:])
		}
		h.size, h.hlen = int64(u), 16
	}
	if h.size < h.hlen {
		return h, corrupt(off, "box %q of size %d", h.typ[:], h.size)
	}
	if h.size > size-off {
		return h, errTruncated
	}
	return h, nil
}

// errZeros marks a box header of zeros: a file extended but not written.
var errZeros = errors.New("zeros")

// Scan reads a segment's init and indexes its complete fragments. A torn
// end (a fragment cut short by a crash, or zeros where it should be) is not
// an error: Index.Torn is set and Index.Complete is where the last complete
// fragment ends. A file whose init is incomplete or that is malformed
// anywhere else gives an error wrapping ErrCorrupt.
func Scan(r io.ReaderAt, size int64) (*Index, error) {
	x := &Index{Size: size}
	if err := x.scanInit(r, size); err != nil {
		return nil, err
	}
	x.Complete = x.InitSize
	var buf []byte
	for off := x.InitSize; off < size; {
		f, next, err := scanFragment(r, off, size, buf)
		if errors.Is(err, errTruncated) {
			// A write cut short is the end of the file: a complete fragment
			// after it means a damaged size field, and cutting there would
			// lose footage.
			if at, ok := fragmentAfter(r, off+1, size); ok {
				return nil, corrupt(off, "broken fragment followed by a complete one at %d", at)
			}
			x.Torn = true
			break
		}
		if errors.Is(err, errZeros) {
			if err := zerosToEnd(r, off, size); err != nil {
				return nil, err
			}
			x.Torn = true
			break
		}
		if err != nil {
			return nil, err
		}
		buf = next
		if n := len(x.Fragments); n > 0 && f.BaseTime < x.Fragments[n-1].BaseTime+x.Fragments[n-1].Duration {
			return nil, corrupt(off, "fragment %d decode time %d overlaps the previous fragment", n, f.BaseTime)
		}
		x.Fragments = append(x.Fragments, f)
		off = f.End()
		x.Complete = off
	}
	return x, nil
}

// fragmentMagic starts every fragment: a 32-byte version 1 prft box.
var fragmentMagic = []byte{0, 0, 0, prftSize, 'p', 'r', 'f', 't', 1}

// fragmentAfter looks for a complete fragment starting after off.
func fragmentAfter(r io.ReaderAt, off, size int64) (int64, bool) {
	chunk := min(int64(64<<10), size-off)
	b := make([]byte, chunk+int64(len(fragmentMagic)))
	var moof []byte
	for p := off; p < size; p += chunk {
		n := min(int64(len(b)), size-p)
		if _, err := r.ReadAt(b[:n], p); err != nil {
			return 0, false
		}
		for i := 0; ; {
			j := bytes.Index(b[i:n], fragmentMagic)
			if j < 0 {
				break
			}
			at := p + int64(i+j)
			_, m, err := scanFragment(r, at, size, moof)
			if err == nil {
				return at, true
			}
			moof = m
			i += j + 1
		}
	}
	return 0, false
}

// zerosToEnd checks that the file holds only zeros from off to size.
func zerosToEnd(r io.ReaderAt, off, size int64) error {
	var b [32 << 10]byte
	for p := off; p < size; {
		n := min(int64(len(b)), size-p)
		if _, err := r.ReadAt(b[:n], p); err != nil {
			return fmt.Errorf("reading at %d: %w", p, err)
		}
		for i, c := range b[:n] {
			if c != 0 {
				return corrupt(p+int64(i), "data after a zero-filled gap at %d", off)
			}
		}
		p += n
	}
	return nil
}

// readBox reads the whole box described by h at off into buf (reused).
func readBox(r io.ReaderAt, off int64, h boxHeader, limit int64, buf []byte) ([]byte, error) {
	if h.size > limit {
		return nil, corrupt(off, "box %q of %d bytes exceeds %d", h.typ[:], h.size, limit)
	}
	if int64(cap(buf)) < h.size {
		buf = make([]byte, h.size)
	}
	buf = buf[:h.size]
	if _, err := r.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("reading at %d: %w", off, err)
	}
	return buf, nil
}

func (x *Index) scanInit(r io.ReaderAt, size int64) error {
	off := int64(0)
	var hdr Header
	for i, want := range []string{"ftyp", "moov", "uuid"} {
		h, err := readBoxHeader(r, off, size)
		if errors.Is(err, errTruncated) || errors.Is(err, errZeros) {
			return corrupt(off, "init incomplete: %s missing or cut short", want)
		}
		if err != nil {
			return err
		}
		if string(h.typ[:]) != want {
			if i == 0 {
				return corrupt(off, "not a segment: first box is %q, not ftyp", h.typ[:])
			}
			return corrupt(off, "box %q where %s was expected", h.typ[:], want)
		}
		b, err := readBox(r, off, h, maxInitBox, nil)
		if err != nil {
			return err
		}
		body := b[h.hlen:]
		switch want {
		case "moov":
			if err := parseMoov(body, off+h.hlen, x); err != nil {
				return err
			}
		case "uuid":
			if len(body) < 16 || !bytes.Equal(body[:16], boxUUID[:]) {
				return corrupt(off, "uuid box is not the Vigil stream box")
			}
			if err := parseStreamBox(body[16:], &hdr); err != nil {
				return corrupt(off, "%v", err)
			}
		}
		off += h.size
	}
	x.Camera, x.StreamID, x.Sequence, x.Start = hdr.Camera, hdr.StreamID, hdr.Sequence, hdr.Start
	x.InitSize = off
	return nil
}

// child finds the first child box of type typ in a box body; base is the
// file offset of body, for errors.
func child(body []byte, base int64, typ string) ([]byte, int64, error) {
	for p := 0; p < len(body); {
		if len(body)-p < 8 {
			return nil, 0, corrupt(base+int64(p), "truncated box header")
		}
		n := int(binary.BigEndian.Uint32(body[p:]))
		if n < 8 || n > len(body)-p {
			return nil, 0, corrupt(base+int64(p), "box %q of size %d in %d bytes", body[p+4:p+8], n, len(body)-p)
		}
		if string(body[p+4:p+8]) == typ {
			return body[p+8 : p+n], base + int64(p+8), nil
		}
		p += n
	}
	return nil, 0, corrupt(base, "no %s box", typ)
}

// path descends through nested boxes.
func path(body []byte, base int64, typs ...string) ([]byte, int64, error) {
	var err error
	for _, t := range typs {
		body, base, err = child(body, base, t)
		if err != nil {
			return nil, 0, err
		}
	}
	return body, base, nil
}

// parseMoov reads the track's timescale, size and avcC.
func parseMoov(moov []byte, base int64, x *Index) error {
	mdhd, mbase, err := path(moov, base, "trak", "mdia", "mdhd")
	if err != nil {
		return err
	}
	if len(mdhd) < 24 || mdhd[0] != 0 {
		return corrupt(mbase, "unsupported mdhd")
	}
	if ts := binary.BigEndian.Uint32(mdhd[12:]); ts != TimeScale {
		return corrupt(mbase, "time scale %d, want %d", ts, TimeScale)
	}
	stsd, sbase, err := path(moov, base, "trak", "mdia", "minf", "stbl", "stsd")
	if err != nil {
		return err
	}
	if len(stsd) < 8 {
		return corrupt(sbase, "short stsd")
	}
	avc1, abase, err := child(stsd[8:], sbase+8, "avc1")
	if err != nil {
		return err
	}
	if len(avc1) < 78 {
		return corrupt(abase, "short avc1")
	}
	x.Width = int(binary.BigEndian.Uint16(avc1[24:]))
	x.Height = int(binary.BigEndian.Uint16(avc1[26:]))
	avcC, cbase, err := child(avc1[78:], abase+78, "avcC")
	if err != nil {
		return err
	}
	// configurationVersion, profile, compatibility, level, lengthSize, numSPS
	if len(avcC) < 7 || avcC[0] != 1 || avcC[4]&3 != 3 || avcC[5]&0x1f != 1 {
		return corrupt(cbase, "unsupported avcC")
	}
	p := 6
	sps, p, ok := lengthPrefixed(avcC, p)
	if !ok || p >= len(avcC) || avcC[p] != 1 {
		return corrupt(cbase, "bad SPS in avcC")
	}
	pps, _, ok := lengthPrefixed(avcC, p+1)
	if !ok || len(sps) == 0 || len(pps) == 0 {
		return corrupt(cbase, "bad PPS in avcC")
	}
	x.SPS, x.PPS = bytes.Clone(sps), bytes.Clone(pps)
	return nil
}

func lengthPrefixed(b []byte, p int) ([]byte, int, bool) {
	if len(b)-p < 2 {
		return nil, p, false
	}
	n := int(binary.BigEndian.Uint16(b[p:]))
	p += 2
	if n > len(b)-p {
		return nil, p, false
	}
	return b[p : p+n], p + n, true
}

// scanFragment parses the prft+moof+mdat at off. buf is reused for the
// moof and returned. A fragment that does not fit the file gives
// errTruncated.
func scanFragment(r io.ReaderAt, off, size int64, buf []byte) (Fragment, []byte, error) {
	f := Fragment{Offset: off}
	h, err := readBoxHeader(r, off, size)
	if err != nil {
		return f, buf, err
	}
	if string(h.typ[:]) != "prft" {
		return f, buf, corrupt(off, "box %q where a fragment (prft) was expected", h.typ[:])
	}
	if h.size != prftSize || h.hlen != 8 {
		return f, buf, corrupt(off, "prft of %d bytes", h.size)
	}
	var p [prftSize]byte
	if _, err := r.ReadAt(p[:], off); err != nil {
		return f, buf, fmt.Errorf("reading at %d: %w", off, err)
	}
	if p[8] != 1 {
		return f, buf, corrupt(off, "prft version %d", p[8])
	}
	f.Wall = fromNTP(binary.BigEndian.Uint64(p[16:]))
	f.MediaTime = binary.BigEndian.Uint64(p[24:])

	f.MoofOffset = off + prftSize
	h, err = readBoxHeader(r, f.MoofOffset, size)
	if err != nil {
		return f, buf, err
	}
	if string(h.typ[:]) != "moof" {
		return f, buf, corrupt(f.MoofOffset, "box %q where moof was expected", h.typ[:])
	}
	f.MoofSize = h.size
	buf, err = readBox(r, f.MoofOffset, h, maxMoof, buf)
	if err != nil {
		return f, buf, err
	}
	mi, err := parseMoof(buf[h.hlen:], f.MoofOffset+h.hlen, h.size, nil)
	if err != nil {
		return f, buf, err
	}
	f.Sequence, f.BaseTime, f.Samples = mi.seq, mi.baseTime, len(mi.samples)
	f.Duration, f.Keyframe = mi.duration, mi.samples[0].keyframe

	mdatOff := f.MoofOffset + f.MoofSize
	h, err = readBoxHeader(r, mdatOff, size)
	if err != nil {
		return f, buf, err
	}
	if string(h.typ[:]) != "mdat" {
		return f, buf, corrupt(mdatOff, "box %q where mdat was expected", h.typ[:])
	}
	if mi.dataOffset != f.MoofSize+h.hlen {
		return f, buf, corrupt(f.MoofOffset, "trun data offset %d does not point at the mdat payload", mi.dataOffset)
	}
	f.DataOffset = mdatOff + h.hlen
	f.DataSize = h.size - h.hlen
	if f.DataSize != mi.dataSize {
		return f, buf, corrupt(mdatOff, "mdat of %d bytes for samples of %d bytes", f.DataSize, mi.dataSize)
	}
	f.Size = mdatOff + h.size - off
	return f, buf, nil
}

// moofInfo is what parseMoof reads from a moof.
type moofInfo struct {
	seq        uint32
	baseTime   uint64
	duration   uint64
	dataOffset int64
	dataSize   int64
	samples    []sampleMeta
}

// parseMoof parses a moof body: mfhd and one traf of track 1 with tfhd,
// tfdt and one trun carrying durations, sizes and flags. samples is reused.
func parseMoof(moof []byte, base, moofSize int64, samples []sampleMeta) (moofInfo, error) {
	mi := moofInfo{samples: samples[:0]}
	mfhd, mb, err := child(moof, base, "mfhd")
	if err != nil {
		return mi, err
	}
	if len(mfhd) != 8 {
		return mi, corrupt(mb, "mfhd of %d bytes", len(mfhd))
	}
	mi.seq = binary.BigEndian.Uint32(mfhd[4:])
	traf, tb, err := child(moof, base, "traf")
	if err != nil {
		return mi, err
	}
	tfhd, hb, err := child(traf, tb, "tfhd")
	if err != nil {
		return mi, err
	}
	if len(tfhd) < 8 || binary.BigEndian.Uint32(tfhd[4:]) != 1 ||
		binary.BigEndian.Uint32(tfhd)&0xffffff != tfhdDefaultBaseIsMoof {
		return mi, corrupt(hb, "unsupported tfhd")
	}
	tfdt, db, err := child(traf, tb, "tfdt")
	if err != nil {
		return mi, err
	}
	switch {
	case len(tfdt) == 12 && tfdt[0] == 1:
		mi.baseTime = binary.BigEndian.Uint64(tfdt[4:])
	case len(tfdt) == 8 && tfdt[0] == 0:
		mi.baseTime = uint64(binary.BigEndian.Uint32(tfdt[4:]))
	default:
		return mi, corrupt(db, "unsupported tfdt")
	}
	trun, rb, err := child(traf, tb, "trun")
	if err != nil {
		return mi, err
	}
	if len(trun) < 12 {
		return mi, corrupt(rb, "short trun")
	}
	flags := binary.BigEndian.Uint32(trun) & 0xffffff
	const need = trunDataOffset | trunDuration | trunSize | trunFlags
	if flags&need != need || flags&^(need|trunCompositionV1) != 0 {
		return mi, corrupt(rb, "unsupported trun flags %#x", flags)
	}
	entry := 12
	if flags&trunCompositionV1 != 0 {
		entry = 16
	}
	count := int64(binary.BigEndian.Uint32(trun[4:]))
	if count == 0 || count*int64(entry) != int64(len(trun)-12) {
		return mi, corrupt(rb, "trun of %d samples in %d bytes", count, len(trun))
	}
	mi.dataOffset = int64(int32(binary.BigEndian.Uint32(trun[8:])))
	if mi.dataOffset != moofSize+8 && mi.dataOffset != moofSize+16 {
		return mi, corrupt(rb, "trun data offset %d after a moof of %d bytes", mi.dataOffset, moofSize)
	}
	for e := trun[12:]; len(e) > 0; e = e[entry:] {
		s := sampleMeta{
			duration: binary.BigEndian.Uint32(e),
			size:     binary.BigEndian.Uint32(e[4:]),
			keyframe: binary.BigEndian.Uint32(e[8:])&0x10000 == 0,
		}
		if entry == 16 {
			s.ctsOffset = int32(binary.BigEndian.Uint32(e[12:]))
			if trun[0] == 0 && s.ctsOffset < 0 {
				return mi, corrupt(rb, "negative composition offset in a version 0 trun")
			}
		}
		mi.duration += uint64(s.duration)
		mi.dataSize += int64(s.size)
		mi.samples = append(mi.samples, s)
	}
	return mi, nil
}
