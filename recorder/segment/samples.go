package segment

import (
	"fmt"
	"io"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// Sample is one access unit read back from a segment.
type Sample struct {
	// DecodeTime is the DTS in 90 kHz ticks from the start of the segment;
	// PTSOffset is PTS minus DTS; Duration is the decode duration.
	DecodeTime uint64
	PTSOffset  int32
	Duration   uint32

	Keyframe bool

	// Wall is the wall time (UTC) of the sample's presentation, from the
	// fragment's prft.
	Wall time.Time

	// NALUs share one buffer per ReadSamples call.
	NALUs [][]byte
}

// DTS is the decode time from the start of the segment.
func (s *Sample) DTS() time.Duration { return ticksDuration(int64(s.DecodeTime)) }

// PTS is the presentation time from the start of the segment.
func (s *Sample) PTS() time.Duration {
	return ticksDuration(int64(s.DecodeTime) + int64(s.PTSOffset))
}

// ReadSamples reads the access units of fragment i of idx, split into
// NAL units.
func ReadSamples(r io.ReaderAt, idx *Index, i int) ([]Sample, error) {
	if i < 0 || i >= len(idx.Fragments) {
		return nil, fmt.Errorf("segment: fragment %d out of range [0,%d)", i, len(idx.Fragments))
	}
	f := &idx.Fragments[i]
	buf := make([]byte, f.MoofSize+f.DataSize)
	if _, err := r.ReadAt(buf[:f.MoofSize], f.MoofOffset); err != nil {
		return nil, fmt.Errorf("segment: reading fragment %d: %w", i, err)
	}
	if _, err := r.ReadAt(buf[f.MoofSize:], f.DataOffset); err != nil {
		return nil, fmt.Errorf("segment: reading fragment %d: %w", i, err)
	}
	h, err := readBoxHeader(readerAtBytes(buf), 0, f.MoofSize)
	if err != nil {
		return nil, corrupt(f.MoofOffset, "moof header: %v", err)
	}
	mi, err := parseMoof(buf[h.hlen:f.MoofSize], f.MoofOffset+h.hlen, f.MoofSize, nil)
	if err != nil {
		return nil, err
	}
	if mi.dataSize != f.DataSize {
		return nil, corrupt(f.MoofOffset, "fragment %d changed since it was scanned", i)
	}
	out := make([]Sample, len(mi.samples))
	data := buf[f.MoofSize:]
	dts := mi.baseTime
	for k, s := range mi.samples {
		var au h264.AVCC
		if err := au.Unmarshal(data[:s.size]); err != nil {
			return nil, corrupt(f.DataOffset, "sample %d of fragment %d: %v", k, i, err)
		}
		data = data[s.size:]
		pts := int64(dts) + int64(s.ctsOffset)
		out[k] = Sample{
			DecodeTime: dts,
			PTSOffset:  s.ctsOffset,
			Duration:   s.duration,
			Keyframe:   s.keyframe,
			Wall:       f.Wall.Add(ticksDuration(pts - int64(f.MediaTime))),
			NALUs:      au,
		}
		dts += uint64(s.duration)
	}
	return out, nil
}

// readerAtBytes reads from a byte slice.
type readerAtBytes []byte

func (b readerAtBytes) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
