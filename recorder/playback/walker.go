package playback

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/segment"
)

// maxFragmentData bounds the sample data of one fragment read into memory.
const maxFragmentData = 64 << 20

// contiguity is how far apart in the index the end of a segment and the
// start of the next of the same stream may be for their decode times to
// continue exactly; further apart, the timeline is re-anchored to the wall
// clock.
const contiguity = 500 * time.Millisecond

// chunk is the part of one segment fragment that falls in the range, with
// its place on the output timeline.
type chunk struct {
	seg      int   // index in Range.Segments
	dataOff  int64 // file offset of the first sample's data
	dataLen  int64
	samples  []sample // reused by the next call
	data     []byte   // the sample data, when the walker reads it; reused
	dts      uint64   // output decode time of the first sample
	wall     time.Time
	firstPTS uint64 // output presentation time of the first sample
}

// openSeg is the segment being read.
type openSeg struct {
	n       int // index in Range.Segments
	f       File
	size    int64
	idx     *segment.Index
	partial bool // idx covers a window of the file: more follows
	init    []byte
	frag    int   // next fragment to read
	skip    int   // samples to skip in that fragment (the start keyframe's position)
	base    int64 // output decode time minus segment decode time; valid once based
	based   bool
}

// walker reads a Range fragment by fragment and lays its samples on one
// continuous output timeline (see the package doc).
type walker struct {
	openFile func(s *store.Segment) (File, error)
	r        *Range
	withData bool // read each chunk's sample data

	next     int // next segment to open
	cur      *openSeg
	done     bool
	started  bool
	origin   time.Time // wall time of output time 0
	end      uint64    // output decode time after the last sample given
	prevID   uuid.UUID
	prevSeq  uint64
	prevEnd  time.Time // index end of the last segment played
	broken   bool      // footage left out since the last segment played
	first    *segment.Index
	initData []byte

	skipped   []*SegmentError
	changedAt time.Time

	moof []byte
	ch   chunk
}

func newWalker(open func(s *store.Segment) (File, error), r *Range, withData bool) *walker {
	return &walker{openFile: open, r: r, withData: withData}
}

func (w *walker) close() {
	if w.cur != nil {
		w.cur.f.Close()
		w.cur = nil
	}
}

func (w *walker) segErr(n int, err error) *SegmentError {
	s := &w.r.Segments[n]
	return &SegmentError{Camera: s.Camera, Path: s.Path, Start: s.Start, End: s.End, Err: err}
}

// leaveOut records segment n (or the rest of it) as not played.
func (w *walker) leaveOut(n int, err error) {
	w.skipped = append(w.skipped, w.segErr(n, err))
	w.broken = true
}

// incomplete is the error to return after a complete output.
func (w *walker) incomplete() error {
	if len(w.skipped) == 0 && w.changedAt.IsZero() {
		return nil
	}
	return &IncompleteError{Skipped: w.skipped, ChangedAt: w.changedAt}
}

// noFootage is the error when nothing was played.
func (w *walker) noFootage() error {
	return &NoFootageError{Camera: w.r.Camera, From: w.r.From, To: w.r.To, Gaps: w.r.Gaps, Unreadable: w.skipped}
}

// open opens segment n and indexes it, or for the first segment (from set)
// the window of it around from (see window.go), positioned on the start
// keyframe.
func (w *walker) open(n int, from time.Time) (*openSeg, error) {
	s := &w.r.Segments[n]
	f, err := w.openFile(s)
	if err != nil {
		return nil, err
	}
	o, err := w.index(n, f, from)
	if err != nil {
		f.Close()
		return nil, err
	}
	return o, nil
}

func (w *walker) index(n int, f File, from time.Time) (*openSeg, error) {
	var err error
	o := &openSeg{n: n, f: f, size: f.Size()}
	if o.init, err = readInit(f, o.size); err != nil {
		// Let Scan say what is wrong.
		if _, serr := segment.Scan(f, o.size); serr != nil {
			return nil, serr
		}
		return nil, err
	}
	init := int64(len(o.init))
	s := &w.r.Segments[n]
	if start, end := o.window(s.Start, s.End, from); start != init || end != o.size {
		idx, err := o.scanWindow(start, end)
		if err == nil && len(idx.Fragments) > 0 && (end == o.size || idx.Fragments[len(idx.Fragments)-1].Wall.After(from)) {
			o.idx, o.partial = idx, end < o.size
			if found, err := w.findStart(o, from); err == nil && (found || start == init) {
				return o, nil
			}
		}
	}
	if o.idx, err = o.scanWindow(init, o.size); err != nil {
		return nil, err
	}
	o.partial = false
	if len(o.idx.Fragments) == 0 {
		return nil, fmt.Errorf("no complete fragment")
	}
	if !from.IsZero() {
		if _, err := w.findStart(o, from); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// readMoof reads and parses the moof of fragment i of o.
func (w *walker) readMoof(o *openSeg, i int) (uint64, []sample, error) {
	fr := &o.idx.Fragments[i]
	if fr.MoofSize > maxMoof {
		return 0, nil, fmt.Errorf("fragment %d at offset %d: moof of %d bytes", fr.Sequence, fr.Offset, fr.MoofSize)
	}
	if int64(cap(w.moof)) < fr.MoofSize {
		w.moof = make([]byte, fr.MoofSize)
	}
	w.moof = w.moof[:fr.MoofSize]
	if _, err := o.f.ReadAt(w.moof, fr.MoofOffset); err != nil {
		return 0, nil, fmt.Errorf("fragment %d at offset %d: %w", fr.Sequence, fr.Offset, err)
	}
	base, samples, err := parseMoof(w.moof, w.ch.samples)
	w.ch.samples = samples
	if err != nil {
		return 0, nil, fmt.Errorf("fragment %d at offset %d: %w", fr.Sequence, fr.Offset, err)
	}
	var size int64
	for _, s := range samples {
		size += int64(s.size)
	}
	if size != fr.DataSize {
		return 0, nil, fmt.Errorf("fragment %d at offset %d changed since it was scanned", fr.Sequence, fr.Offset)
	}
	return base, samples, nil
}

// sampleWall is the wall time of a sample of fragment fr decoded at dts
// (segment time).
func sampleWall(fr *segment.Fragment, dts uint64, cts int32) time.Time {
	return fr.Wall.Add(ticksDuration(int64(dts) + int64(cts) - int64(fr.MediaTime)))
}

// findStart positions o on the latest keyframe whose wall time is at or
// before from; on its first sample when there is none (found is false).
func (w *walker) findStart(o *openSeg, from time.Time) (found bool, err error) {
	k := -1
	for i := range o.idx.Fragments {
		if o.idx.Fragments[i].Wall.After(from) {
			break
		}
		k = i
	}
	for j := k; j >= 0; j-- {
		base, samples, err := w.readMoof(o, j)
		if err != nil {
			return false, err
		}
		fr := &o.idx.Fragments[j]
		dts, found := base, -1
		for s := range samples {
			if sampleWall(fr, dts, samples[s].cts).After(from) {
				break
			}
			if samples[s].keyframe {
				found = s
			}
			dts += uint64(samples[s].duration)
		}
		if found >= 0 {
			o.frag, o.skip = j, found
			return true, nil
		}
	}
	o.frag, o.skip = 0, 0
	return false, nil
}

// nextChunk returns the next chunk of the range, or io.EOF.
func (w *walker) nextChunk(ctx context.Context) (*chunk, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if w.done {
			w.close()
			return nil, io.EOF
		}
		if w.cur == nil {
			if w.next >= len(w.r.Segments) {
				w.done = true
				continue
			}
			n := w.next
			w.next++
			var from time.Time
			if w.first == nil {
				from = w.r.From
			}
			o, err := w.open(n, from)
			if err != nil {
				w.leaveOut(n, err)
				continue
			}
			if w.first == nil {
				w.first, w.initData = o.idx, o.init
			} else if !bytes.Equal(o.idx.SPS, w.first.SPS) || !bytes.Equal(o.idx.PPS, w.first.PPS) {
				o.f.Close()
				w.changedAt = w.r.Segments[n].Start
				w.done = true
				continue
			}
			w.cur = o
		}
		c, err := w.fragment()
		if err != nil {
			w.leaveOut(w.cur.n, err)
			w.close()
			continue
		}
		if c != nil {
			return c, nil
		}
	}
}

// fragment reads the current fragment of the current segment: the chunk
// of it in the range, or nil when it has none.
func (w *walker) fragment() (*chunk, error) {
	o := w.cur
	if o.frag >= len(o.idx.Fragments) && o.partial {
		if err := o.continueScan(); err != nil {
			return nil, err
		}
	}
	if o.frag >= len(o.idx.Fragments) {
		w.close()
		return nil, nil
	}
	i := o.frag
	o.frag++
	skip := o.skip
	o.skip = 0
	fr := &o.idx.Fragments[i]
	base, samples, err := w.readMoof(o, i)
	if err != nil {
		return nil, err
	}
	// Samples [a, b) are played: from the start keyframe (first fragment)
	// to the first sample at or after To.
	a, b := skip, len(samples)
	if a >= b {
		return nil, fmt.Errorf("fragment %d at offset %d: start sample %d of %d", fr.Sequence, fr.Offset, a, b)
	}
	first, off := base, int64(0) // decode time and data offset of sample a
	for _, s := range samples[:a] {
		first += uint64(s.duration)
		off += int64(s.size)
	}
	for s, dts := a, first; s < len(samples); s++ {
		if !sampleWall(fr, dts, samples[s].cts).Before(w.r.To) {
			b, w.done = s, true
			break
		}
		dts += uint64(samples[s].duration)
	}
	if a == b {
		return nil, nil
	}
	wall := sampleWall(fr, first, samples[a].cts)
	if !o.based {
		seg := &w.r.Segments[o.n]
		switch {
		case !w.started:
			w.started, w.origin = true, wall
			o.base = -int64(first)
		case !w.broken && seg.StreamID == w.prevID && seg.Sequence == w.prevSeq+1 &&
			seg.Start.Sub(w.prevEnd).Abs() <= contiguity:
			o.base = int64(w.end) - int64(first)
		default:
			want := max(ticks(wall.Sub(w.origin)), int64(w.end))
			o.base = want - int64(first)
		}
		o.based = true
		w.prevID, w.prevSeq, w.prevEnd, w.broken = seg.StreamID, seg.Sequence, seg.End, false
	}
	c := &w.ch
	c.seg = o.n
	c.samples = samples[a:b]
	c.dataOff = fr.DataOffset + off
	c.dataLen = 0
	var dur uint64
	for _, s := range c.samples {
		c.dataLen += int64(s.size)
		dur += uint64(s.duration)
	}
	c.dts = uint64(o.base + int64(first))
	c.firstPTS = uint64(max(0, int64(c.dts)+int64(c.samples[0].cts)))
	c.wall = wall
	if w.withData {
		if c.dataLen > maxFragmentData {
			return nil, fmt.Errorf("fragment %d at offset %d: %d bytes of samples", fr.Sequence, fr.Offset, c.dataLen)
		}
		if int64(cap(c.data)) < c.dataLen {
			c.data = make([]byte, c.dataLen)
		}
		c.data = c.data[:c.dataLen]
		if _, err := o.f.ReadAt(c.data, c.dataOff); err != nil {
			return nil, fmt.Errorf("fragment %d at offset %d: %w", fr.Sequence, fr.Offset, err)
		}
	}
	w.end = c.dts + dur
	return c, nil
}

// init is the fMP4 init: the first segment's, its stream box start set to
// the wall time of output time 0. Valid after the first chunk.
func (w *walker) init() []byte {
	b := bytes.Clone(w.initData)
	// ftyp, moov, then the stream box: header 8, uuid 16, version+flags
	// 4, stream id 16, sequence 8, start 8.
	p := 0
	for range 2 {
		p += int(binary.BigEndian.Uint32(b[p:]))
	}
	if p+60 <= len(b) {
		binary.BigEndian.PutUint64(b[p+52:], uint64(w.origin.UnixNano()))
	}
	return b
}
