package segment

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math"
	"os"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/vigil-cctv/vigil/ingest"
)

// DefaultFragmentDuration is the media duration of a fragment when
// Writer.FragmentDuration is zero.
const DefaultFragmentDuration = time.Second

// fallbackDuration is the duration given to the last sample of a segment
// with a single frame (there is no previous duration to repeat).
const fallbackDuration = TimeScale / 25

// ErrClosed is returned when writing to a closed Writer.
var ErrClosed = errors.New("segment writer closed")

// ErrNotKeyframe is returned when the first access unit of a segment is not
// a keyframe.
var ErrNotKeyframe = errors.New("segment must start with a keyframe")

// Writer writes one segment file. It is not safe for concurrent use: one
// recorder goroutine owns it.
//
// Access units are buffered until their duration is known (the next access
// unit's DTS minus theirs), so the newest one is always held back; a
// fragment is written once the buffered media reaches FragmentDuration.
// Close writes the held-back access unit with the previous frame's duration.
// After a write error the Writer is broken: every later call returns that
// error, and the file, up to its last complete fragment, is recoverable with
// Repair.
type Writer struct {
	// FragmentDuration is the media duration after which a fragment is
	// written. Zero means DefaultFragmentDuration. Set it before the first
	// WriteAccessUnit.
	FragmentDuration time.Duration

	path string
	hdr  Header
	f    *os.File
	out  hashWriter
	bw   *bufio.Writer

	started bool
	dtsx    h264.DTSExtractor
	base    int64 // DTS of the first frame, 90 kHz
	pend    pending
	hasPend bool
	lastDur uint32

	samples  []sampleMeta // complete samples of the current fragment
	payload  []byte       // their AVCC data, then the pending sample's
	fragDur  int64        // sum of the durations in samples
	fragDTS  int64        // DTS of the first sample of the fragment
	fragWall time.Time    // wall time of the first sample of the fragment
	head     []byte       // reused prft+moof+mdat header

	seq       uint32
	frames    int
	fragments int
	decoded   int64 // sum of durations written
	start     time.Time
	end       time.Time

	dropped int64 // the page cache was released below this offset (Sync)

	err    error
	closed bool
}

type pending struct {
	dts, pts int64
	size     int
	keyframe bool
	wall     time.Time
}

// hashWriter counts and hashes every byte the file accepted.
type hashWriter struct {
	f *os.File
	h hash.Hash
	n int64
}

func (w *hashWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Create creates a new segment file at path (it must not exist) and writes
// its init: ftyp, moov and the stream box carrying h.StreamID and
// h.Sequence. Width and Height are read from the SPS when zero.
func Create(path string, h Header) (*Writer, error) {
	if err := checkHeader(&h); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	w := &Writer{
		path: path,
		hdr:  h,
		f:    f,
		out:  hashWriter{f: f, h: sha256.New()},
	}
	w.bw = bufio.NewWriterSize(&w.out, 64<<10)
	w.head = appendInit(make([]byte, 0, 4096), &w.hdr)
	_, err = w.bw.Write(w.head)
	if err == nil {
		err = w.bw.Flush()
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("segment %s: writing init: %w", path, err)
	}
	return w, nil
}

// Path is the file the Writer writes.
func (w *Writer) Path() string { return w.path }

// Bytes is the number of bytes written to the file so far.
func (w *Writer) Bytes() int64 { return w.out.n }

func ticks(d time.Duration) int64 {
	return (int64(d)*9 + 50_000) / 100_000
}

func ticksDuration(t int64) time.Duration {
	return time.Duration(t) * 100_000 / 9 // exact to the nanosecond for t < 2^63/1e5
}

// WriteAccessUnit adds an access unit to the segment. The first one must be
// a keyframe. The access unit is not retained: its NALUs are copied.
func (w *Writer) WriteAccessUnit(au *ingest.AccessUnit) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	if len(au.NALUs) == 0 {
		return fmt.Errorf("segment: empty access unit")
	}
	pts := ticks(au.PTS)
	nalus := au.NALUs
	if !w.started {
		if !au.Keyframe {
			return ErrNotKeyframe
		}
		w.dtsx.Initialize()
		nalus = append([][]byte{w.hdr.SPS}, au.NALUs...)
	}
	dts, err := w.dtsx.Extract(nalus, pts)
	if err != nil {
		dts = pts // no reordering understood: decode in presentation order
	}
	if !w.started {
		w.started = true
		w.base = dts
		w.start = w.hdr.Start
		if w.start.IsZero() {
			w.start = au.WallTime
		}
	} else {
		if dts <= w.pend.dts {
			dts = w.pend.dts + 1
		}
		w.complete(dts - w.pend.dts)
		if w.fragDur >= ticks(w.fragmentDuration()) {
			if err := w.writeFragment(); err != nil {
				return err
			}
		}
	}

	if len(w.samples) == 0 {
		w.fragDTS = dts
		w.fragWall = au.WallTime
	}
	size := 0
	for _, n := range au.NALUs {
		w.payload = binary.BigEndian.AppendUint32(w.payload, uint32(len(n)))
		w.payload = append(w.payload, n...)
		size += 4 + len(n)
	}
	w.pend = pending{dts: dts, pts: pts, size: size, keyframe: au.Keyframe, wall: au.WallTime}
	w.hasPend = true
	return nil
}

func (w *Writer) fragmentDuration() time.Duration {
	if w.FragmentDuration > 0 {
		return w.FragmentDuration
	}
	return DefaultFragmentDuration
}

// complete moves the pending sample, now of known duration, into the
// fragment.
func (w *Writer) complete(dur int64) {
	if dur > math.MaxUint32 {
		dur = math.MaxUint32
	}
	cts := w.pend.pts - w.pend.dts
	if cts > math.MaxInt32 {
		cts = math.MaxInt32
	} else if cts < math.MinInt32 {
		cts = math.MinInt32
	}
	w.samples = append(w.samples, sampleMeta{
		duration:  uint32(dur),
		size:      uint32(w.pend.size),
		ctsOffset: int32(cts),
		keyframe:  w.pend.keyframe,
	})
	w.fragDur += dur
	w.lastDur = uint32(dur)
	if end := w.pend.wall.Add(ticksDuration(dur)); end.After(w.end) {
		w.end = end // the latest presentation end, in case of reordering
	}
	w.hasPend = false
}

// writeFragment writes the complete samples as one fragment and flushes it
// to the file. A write error breaks the Writer.
func (w *Writer) writeFragment() error {
	if len(w.samples) == 0 {
		return nil
	}
	dataSize := 0
	for _, s := range w.samples {
		dataSize += int(s.size)
	}
	w.seq++
	w.head = appendFragmentHeader(w.head[:0], w.seq, uint64(w.fragDTS-w.base), w.fragWall, w.samples, dataSize)
	_, err := w.bw.Write(w.head)
	if err == nil {
		_, err = w.bw.Write(w.payload[:dataSize])
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if err != nil {
		w.err = fmt.Errorf("segment %s: writing fragment %d: %w", w.path, w.seq, err)
		return w.err
	}
	w.frames += len(w.samples)
	w.fragments++
	w.decoded += w.fragDur
	n := copy(w.payload, w.payload[dataSize:])
	w.payload = w.payload[:n]
	w.samples = w.samples[:0]
	w.fragDur = 0
	if w.hasPend {
		w.fragDTS = w.pend.dts
		w.fragWall = w.pend.wall
	}
	return nil
}

// Flush writes the buffered complete samples as a fragment now. The newest
// access unit stays held back until its duration is known (or Close).
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	return w.writeFragment()
}

// Sync commits the fragments written so far to stable storage.
func (w *Writer) Sync() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	if err := datasync(w.f); err != nil {
		w.err = fmt.Errorf("segment %s: sync: %w", w.path, err)
		return w.err
	}
	dropCached(w.f, w.dropped, w.out.n)
	w.dropped = w.out.n &^ 4095
	return nil
}

// Close writes the last fragment (the held-back access unit gets the
// previous frame's duration), syncs and closes the file, and describes it.
// A segment without any frame is still closed and described, with ErrEmpty.
func (w *Writer) Close() (Info, error) {
	if w.closed {
		return w.info(), ErrClosed
	}
	w.closed = true
	err := w.err
	if err == nil && w.hasPend {
		dur := int64(w.lastDur)
		if dur == 0 {
			dur = fallbackDuration
		}
		w.complete(dur)
		err = w.writeFragment()
	}
	if err == nil {
		if err = datasync(w.f); err != nil {
			err = fmt.Errorf("segment %s: sync: %w", w.path, err)
		} else {
			dropCached(w.f, w.dropped, w.out.n+4095)
		}
	}
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("segment %s: close: %w", w.path, cerr)
	}
	if err == nil && w.frames == 0 {
		err = ErrEmpty
	}
	return w.info(), err
}

func (w *Writer) info() Info {
	in := Info{
		Path:      w.path,
		Bytes:     w.out.n,
		Start:     w.start,
		End:       w.end,
		Duration:  ticksDuration(w.decoded),
		Frames:    w.frames,
		Fragments: w.fragments,
		StreamID:  w.hdr.StreamID,
		Sequence:  w.hdr.Sequence,
	}
	w.out.h.Sum(in.SHA256[:0])
	return in
}
