// Package rtsp reads camera streams over RTSP with gortsplib. It is the only
// package of the service that imports gortsplib.
package rtsp

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/google/uuid"
	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/ingest"
)

const clockRate = 90000

// maxForwardJump is how far a camera's timestamps may run ahead of the
// receive clock between two access units before it is a jump, not jitter.
const maxForwardJump = 5 * time.Second

// maxBackwardStep tolerates B-frame reordering; more is a jump backwards.
const maxBackwardStep = time.Second

// assembler turns RTP packets of one H.264 stream into access units with a
// session-relative, monotonic PTS. It is not safe for concurrent use.
type assembler struct {
	camera, stream string

	decoder *rtph264.Decoder
	session *ingest.Session

	// RTP sequence tracking: afterLoss is set from a gap until the next
	// complete frame.
	seqKnown  bool
	nextSeq   uint16
	afterLoss bool

	// pending is set while the decoder holds packets of an unfinished
	// frame with timestamp pendingTS.
	pending   bool
	pendingTS uint32

	started  bool
	lastTS   uint32
	lastTick int64 // session ticks (90 kHz) of the last access unit
	lastRecv time.Time
}

// newAssembler starts a session with the SDP's parameters (may be nil).
// NALUs of the access units alias the RTP packets' payloads: gortsplib
// (v4.16.2) gives every packet its own buffer on TCP and UDP alike
// (TestUDPTransport guards this).
func newAssembler(camera, stream string, sps, pps []byte) (*assembler, error) {
	a := &assembler{camera: camera, stream: stream}
	a.decoder = &rtph264.Decoder{PacketizationMode: 1}
	if err := a.decoder.Init(); err != nil {
		return nil, err
	}
	a.session = a.newSession(sps, pps, time.Now())
	return a, nil
}

func (a *assembler) newSession(sps, pps []byte, now time.Time) *ingest.Session {
	s := &ingest.Session{
		ID:      uuid.New(),
		Camera:  a.camera,
		Stream:  a.stream,
		Codec:   "H264",
		SPS:     bytes.Clone(sps),
		PPS:     bytes.Clone(pps),
		Started: now,
	}
	var p h264.SPS
	if len(sps) > 0 && p.Unmarshal(sps) == nil {
		s.Width, s.Height = p.Width(), p.Height()
	}
	return s
}

// errNeedMore means the packet was consumed and no access unit is complete.
var errNeedMore = errors.New("need more packets")

// errAfterLoss wraps a decode failure that follows lost packets: the frame
// was incomplete, not malformed. Loss is counted on its own, so these must
// not send an engineer after a broken camera encoder.
var errAfterLoss = errors.New("frame incomplete after packet loss")

// push consumes one packet. It returns the NALUs of a completed access unit
// with that unit's RTP timestamp, errNeedMore, or a decode error (the
// stream goes on). Timing is added by accessUnit, once per frame.
func (a *assembler) push(pkt *rtp.Packet) ([][]byte, uint32, error) {
	if a.seqKnown && pkt.SequenceNumber != a.nextSeq {
		a.afterLoss = true
	}
	a.seqKnown, a.nextSeq = true, pkt.SequenceNumber+1

	nalus, err := a.decoder.Decode(pkt)
	if err != nil {
		if errors.Is(err, rtph264.ErrMorePacketsNeeded) || errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) {
			a.pending, a.pendingTS = true, pkt.Timestamp
			return nil, 0, errNeedMore
		}
		a.pending = false
		if a.afterLoss {
			return nil, 0, fmt.Errorf("%w: %w", errAfterLoss, err)
		}
		return nil, 0, err
	}
	a.afterLoss = false
	ts := pkt.Timestamp
	if a.pending && a.pendingTS != ts {
		// The decoder closed the buffered frame because this packet has a
		// new timestamp (a camera that does not set the marker bit): the
		// frame is the buffered one, and this packet starts the next.
		ts = a.pendingTS
		a.pendingTS = pkt.Timestamp
	} else {
		a.pending = false
	}
	if len(nalus) == 0 {
		return nil, 0, errNeedMore
	}
	return nalus, ts, nil
}

// accessUnit stamps a completed access unit that arrived at recv (its wall
// time until the caller knows better from sender reports). changed reports
// a new session (new parameters).
func (a *assembler) accessUnit(nalus [][]byte, ts uint32, recv time.Time) (au *ingest.AccessUnit, changed bool) {
	changed = a.trackParameters(nalus, recv)
	pts, jumped := a.timestamp(ts, recv)
	au = &ingest.AccessUnit{
		Session:       a.session,
		PTS:           pts,
		WallTime:      recv,
		Received:      recv,
		Keyframe:      h264.IsRandomAccess(nalus),
		Discontinuity: jumped,
		NALUs:         nalus,
	}
	return au, changed
}

// trackParameters starts a new session when in-band SPS/PPS differ from the
// session's: readers (a recorder writing an init segment) need the change.
func (a *assembler) trackParameters(nalus [][]byte, now time.Time) bool {
	sps, pps := a.session.SPS, a.session.PPS
	for _, n := range nalus {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			sps = n
		case h264.NALUTypePPS:
			pps = n
		}
	}
	if bytes.Equal(sps, a.session.SPS) && bytes.Equal(pps, a.session.PPS) {
		return false
	}
	first := a.session.SPS == nil && a.session.PPS == nil
	s := a.newSession(sps, pps, now)
	if first {
		// Parameters arriving for the first time complete the session the
		// SDP did not describe; the stream is still continuous.
		s.ID, s.Started = a.session.ID, a.session.Started
	}
	a.session = s
	return true
}

// timestamp unwraps the 32-bit RTP clock into a session-relative PTS that
// never jumps: a camera clock jump is replaced by the receive-time delta.
func (a *assembler) timestamp(ts uint32, recv time.Time) (time.Duration, bool) {
	if !a.started {
		a.started, a.lastTS, a.lastTick, a.lastRecv = true, ts, 0, recv
		return 0, false
	}
	delta := int64(int32(ts - a.lastTS)) // wraps correctly across 2^32
	recvDelta := recv.Sub(a.lastRecv)
	jumped := false
	d := ticksToDuration(delta)
	if d > recvDelta+maxForwardJump || d < -maxBackwardStep {
		jumped = true
		delta = max(durationToTicks(recvDelta), 1)
	}
	a.lastTS = ts
	a.lastTick += delta
	a.lastRecv = recv
	return ticksToDuration(a.lastTick), jumped
}

func ticksToDuration(t int64) time.Duration {
	return time.Duration(t) * time.Second / clockRate
}

func durationToTicks(d time.Duration) int64 {
	return int64(d) * clockRate / int64(time.Second)
}
