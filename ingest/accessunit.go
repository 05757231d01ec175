// Package ingest pulls camera streams, supervises one worker per camera
// stream, and fans access units out to readers through a hub per stream.
package ingest

import (
	"time"

	"github.com/google/uuid"
)

// Session describes one continuous ingest session of a camera stream: from a
// successful PLAY until the connection ends. A new session (a new ID) means
// readers must not assume continuity with what came before.
type Session struct {
	ID      uuid.UUID
	Camera  string
	Stream  string
	Codec   string // "H264"
	SPS     []byte // as announced in the SDP, or first seen in band
	PPS     []byte
	Width   int
	Height  int
	Started time.Time
}

// AccessUnit is one coded picture with its timing. It is shared read-only by
// every reader of a hub: readers must not modify NALUs.
type AccessUnit struct {
	Session *Session

	// PTS is the presentation time relative to the start of the session,
	// from the camera's RTP clock. It is monotonic within a session: a camera
	// timestamp jump is rebased and flagged as Discontinuity.
	PTS time.Duration

	// WallTime is the camera's wall clock for this picture: from RTCP sender
	// reports where the camera sends them (WallFromSR), receive time otherwise.
	WallTime   time.Time
	WallFromSR bool

	// Received is the server time at which the last packet arrived.
	Received time.Time

	// Keyframe is true for an IDR picture (a random access point).
	Keyframe bool

	// Discontinuity is true on the first access unit after the camera's
	// timestamps jumped; recorders start a new segment here.
	Discontinuity bool

	NALUs [][]byte
}

// Size is the payload size of the access unit in bytes.
func (au *AccessUnit) Size() int {
	n := 0
	for _, nalu := range au.NALUs {
		n += len(nalu)
	}
	return n
}
