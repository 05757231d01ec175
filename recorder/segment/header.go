package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// TimeScale is the media time scale of segments: 90 kHz, the RTP video clock.
const TimeScale = 90000

// boxUUID is the extended type of the Vigil stream box (see the package doc).
var boxUUID = [16]byte{0x56, 0x69, 0x67, 0x6c, 0x2d, 0x73, 0x65, 0x67, 0x6d, 0x65, 0x6e, 0x74, 0, 0, 0, 1}

const streamBoxVersion = 1

// maxCameraLen bounds the camera name stored in the stream box.
const maxCameraLen = 1024

// Header is what a segment's init says about the stream.
type Header struct {
	Camera   string
	StreamID uuid.UUID // ingest session ID
	Sequence uint64    // segment number within the stream
	SPS, PPS []byte
	Width    int
	Height   int
	Start    time.Time // wall time of the first frame
}

// Info describes a finished (or repaired) segment file.
//
// Duration is the decode timeline of the file (the sum of the sample
// durations; the next segment of the stream continues it). Without B-frames
// it is also the presentation span; with B-frames the first DTS equals the
// first PTS and the reorder delay is taken out of the first samples'
// durations, so Duration is shorter than End-Start by that delay.
type Info struct {
	Path      string
	Bytes     int64
	SHA256    [32]byte
	Start     time.Time // wall time of the first frame
	End       time.Time // wall time of the end of the last frame
	Duration  time.Duration
	Frames    int
	Fragments int
	StreamID  uuid.UUID
	Sequence  uint64
}

// ErrEmpty is returned by Repair for a file without any complete fragment.
var ErrEmpty = errors.New("segment has no complete fragment")

// appendStreamBox appends the Vigil uuid box.
func appendStreamBox(b []byte, h *Header) []byte {
	p := len(b)
	b = append(b, 0, 0, 0, 0, 'u', 'u', 'i', 'd')
	b = append(b, boxUUID[:]...)
	b = append(b, streamBoxVersion, 0, 0, 0)
	b = append(b, h.StreamID[:]...)
	b = binary.BigEndian.AppendUint64(b, h.Sequence)
	var start int64
	if !h.Start.IsZero() {
		start = h.Start.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(start))
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.Camera)))
	b = append(b, h.Camera...)
	binary.BigEndian.PutUint32(b[p:], uint32(len(b)-p))
	return b
}

// parseStreamBox parses the payload of the Vigil uuid box (after the
// extended type) into h.
func parseStreamBox(p []byte, h *Header) error {
	if len(p) < 4+16+8+8+2 {
		return fmt.Errorf("stream box: too short (%d bytes)", len(p))
	}
	if p[0] != streamBoxVersion {
		return fmt.Errorf("stream box: unsupported version %d", p[0])
	}
	copy(h.StreamID[:], p[4:20])
	h.Sequence = binary.BigEndian.Uint64(p[20:])
	if ns := int64(binary.BigEndian.Uint64(p[28:])); ns != 0 {
		h.Start = time.Unix(0, ns).UTC()
	}
	n := int(binary.BigEndian.Uint16(p[36:]))
	if len(p) != 38+n {
		return fmt.Errorf("stream box: camera name of %d bytes in %d bytes", n, len(p)-38)
	}
	h.Camera = string(p[38:])
	return nil
}
