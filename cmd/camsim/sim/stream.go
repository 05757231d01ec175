package sim

import (
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

const (
	// rtpClockRate is the H.264 RTP clock.
	rtpClockRate = 90000
	// maxLate is how late an access unit may be sent before the stream skips ahead
	// (e.g. after the process was suspended) instead of bursting to catch up.
	maxLate = time.Second
	// srAfterJoin is how long after a reader starts playing an extra sender report is sent, so
	// readers get a wall clock within a frame or two. It leaves the reader time to become
	// active in gortsplib and to receive an RTP packet first (clients match SRs by SSRC).
	srAfterJoin = 50 * time.Millisecond
)

// StreamStats counts what a camera stream sent.
type StreamStats struct {
	Readers          int    `json:"readers"`           // sessions playing
	AccessUnits      uint64 `json:"access_units"`      // sent while someone was playing
	Packets          uint64 `json:"packets"`           // RTP packets sent
	Bytes            uint64 `json:"bytes"`             // RTP payload bytes sent
	CorruptedPackets uint64 `json:"corrupted_packets"` // replaced by malformed payloads
	StalledPackets   uint64 `json:"stalled_packets"`   // not sent because of a stall
	SenderReports    uint64 `json:"sender_reports"`
	Drops            uint64 `json:"drops"`                  // times the sessions were closed by a drop fault
	Jumps            uint64 `json:"jumps"`                  // timestamp jumps applied
	LateSkipped      uint64 `json:"late_skipped"`           // access units skipped because the sender ran late
	WriteErrors      uint64 `json:"write_errors"`           // packets not written (a reader's queue full, ...)
	LiveDropped      uint64 `json:"live_dropped,omitempty"` // PTZ: encoded frames the sender had no room for
}

type streamCounters struct {
	aus, packets, bytes, corrupted, stalled, srs, drops, jumps, late, writeErrs atomic.Uint64
}

// streamRunner paces one camera stream (main or sub): it walks the shared packetized clip in a
// loop against a monotonic schedule, sets per-camera RTP header fields, applies faults, and
// writes to the gortsplib ServerStream. With no reader it parks, waking only once per GOP to
// keep gortsplib's RTP-Info state fresh.
type streamRunner struct {
	name          string // cam001/main
	cam           *camera
	clip          *clip
	stream        *gortsplib.ServerStream
	media         *description.Media
	ssrc          uint32
	srPeriod      time.Duration
	closeSessions func() // closes the sessions reading this stream (drop fault)
	logger        *slog.Logger
	writeErrs     *errorLog
	fromStart     bool // start at the clip's first frame instead of a random one
	// live, when set, is the source instead of clip (a PTZ camera); packer packetizes it
	live   *liveEncoder
	packer *rtph264.Encoder

	readers   atomic.Int32
	joinedAt  atomic.Int64 // UnixNano of the latest reader start
	wake      chan struct{}
	terminate chan struct{}
	done      chan struct{}
	stats     streamCounters

	// owned by run
	rng         *rand.Rand
	t0          time.Time
	fps         int64
	phase       int
	tsBase      uint32
	seq         uint16
	pkt         rtp.Packet
	fs          *faultState // fault state last seen
	dropsDone   int64
	jumpsDone   int64
	jumpTicks   uint32
	sentPackets uint32
	sentOctets  uint32
	nextSR      time.Time
	lastJoin    int64
}

func (r *streamRunner) initialize() {
	r.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	if r.live != nil {
		r.fps = int64(r.live.spec.FPS)
	} else {
		r.fps = int64(r.clip.spec.FPS)
		frame := time.Second / time.Duration(r.fps)
		// random phase: cameras neither send at the same instant nor have aligned GOPs
		r.t0 = time.Now().Add(time.Duration(r.rng.Int64N(int64(frame))))
		if !r.fromStart {
			r.phase = r.rng.IntN(len(r.clip.aus))
		}
	}
	r.tsBase = r.rng.Uint32()
	r.seq = uint16(r.rng.Uint32())
	r.pkt.Header = rtp.Header{Version: 2, PayloadType: 96}
	r.wake = make(chan struct{}, 1)
	r.terminate = make(chan struct{})
	r.done = make(chan struct{})
	go r.run()
}

func (r *streamRunner) close() {
	close(r.terminate)
	<-r.done
}

// addReader is called when a session starts playing.
func (r *streamRunner) addReader() {
	r.readers.Add(1)
	r.joinedAt.Store(time.Now().UnixNano())
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *streamRunner) removeReader() {
	r.readers.Add(-1)
}

func (r *streamRunner) statsSnapshot() StreamStats {
	return StreamStats{
		Readers:          int(r.readers.Load()),
		AccessUnits:      r.stats.aus.Load(),
		Packets:          r.stats.packets.Load(),
		Bytes:            r.stats.bytes.Load(),
		CorruptedPackets: r.stats.corrupted.Load(),
		StalledPackets:   r.stats.stalled.Load(),
		SenderReports:    r.stats.srs.Load(),
		Drops:            r.stats.drops.Load(),
		Jumps:            r.stats.jumps.Load(),
		LateSkipped:      r.stats.late.Load(),
		WriteErrors:      r.stats.writeErrs.Load(),
		LiveDropped:      r.liveDropped(),
	}
}

func (r *streamRunner) liveDropped() uint64 {
	if r.live == nil {
		return 0
	}
	return r.live.dropped.Load()
}

// deadline is the capture time of frame n.
func (r *streamRunner) deadline(n int64) time.Time {
	return r.t0.Add(time.Duration(n * int64(time.Second) / r.fps))
}

// indexAt is the first frame whose deadline is not before t.
func (r *streamRunner) indexAt(t time.Time) int64 {
	e := int64(t.Sub(r.t0))
	if e <= 0 {
		return 0
	}
	return (e*r.fps + int64(time.Second) - 1) / int64(time.Second)
}

func (r *streamRunner) pos(n int64) int {
	return int((int64(r.phase) + n) % int64(len(r.clip.aus)))
}

// rtpTS is the RTP timestamp of frame n: monotonic across clip loops, plus applied jumps.
func (r *streamRunner) rtpTS(n int64) uint32 {
	return r.tsBase + uint32(n*rtpClockRate/r.fps) + r.jumpTicks
}

type sleepResult int

const (
	sleepElapsed sleepResult = iota
	sleepWoken
	sleepTerminated
)

func (r *streamRunner) sleep(t *time.Timer, d time.Time, idle bool) sleepResult {
	wait := time.Until(d)
	if wait <= 0 {
		select {
		case <-r.terminate:
			return sleepTerminated
		default:
			return sleepElapsed
		}
	}
	t.Reset(wait)
	var wake chan struct{}
	if idle {
		wake = r.wake
	}
	select {
	case <-t.C:
		return sleepElapsed
	case <-wake:
		t.Stop()
		return sleepWoken
	case <-r.terminate:
		t.Stop()
		return sleepTerminated
	}
}

func (r *streamRunner) run() {
	defer close(r.done)
	if r.live != nil {
		r.runLive()
		return
	}

	timer := time.NewTimer(time.Hour)
	timer.Stop()

	n := r.indexAt(time.Now())
	for {
		if r.readers.Load() == 0 {
			next := n + int64(r.clip.nextIDR(r.pos(n)))
			switch r.sleep(timer, r.deadline(next), true) {
			case sleepTerminated:
				return
			case sleepWoken:
				now := time.Now()
				r.syncFaults(now, false)
				n = r.indexAt(now)
				continue
			}
			r.syncFaults(time.Now(), false)
			if r.readers.Load() > 0 {
				n = next // a reader arrived just now: send the whole frame
				continue
			}
			r.prime(&r.clip.aus[r.pos(next)], next, r.deadline(next))
			n = next + 1
			continue
		}

		d := r.deadline(n)
		if r.sleep(timer, d, false) == sleepTerminated {
			return
		}
		now := time.Now()
		if now.Sub(d) > maxLate {
			skip := r.indexAt(now) - n
			r.stats.late.Add(uint64(skip))
			r.logger.Debug("camsim: stream running late, skipping frames", "stream", r.name, "frames", skip)
			n += skip
			continue
		}
		r.sendAU(&r.clip.aus[r.pos(n)], n, d, now)
		n++
	}
}

// syncFaults loads the camera's fault, applies due timestamp jumps and, when act is set,
// due drops (when nobody reads, a drop has nothing to close and is only counted as done).
func (r *streamRunner) syncFaults(now time.Time, act bool) *faultState {
	fs := r.cam.fault.Load()
	if fs != r.fs {
		r.fs = fs
		r.dropsDone, r.jumpsDone = 0, 0
	}
	if fs == nil {
		return nil
	}
	el := now.Sub(fs.since)
	if fs.JumpBy != 0 {
		k := int64(1)
		if fs.JumpEvery > 0 {
			k = int64(el / fs.JumpEvery)
		}
		if k > r.jumpsDone {
			perJump := fs.JumpBy.Microseconds() * rtpClockRate / 1e6
			r.jumpTicks += uint32(k-r.jumpsDone) * uint32(perJump)
			r.stats.jumps.Add(uint64(k - r.jumpsDone))
			r.jumpsDone = k
		}
	}
	if fs.DropEvery > 0 {
		if k := int64(el / fs.DropEvery); k > r.dropsDone {
			r.dropsDone = k
			if act {
				r.logger.Debug("camsim: drop fault, closing sessions", "stream", r.name)
				r.closeSessions()
				r.stats.drops.Add(1)
			}
		}
	}
	return fs
}

func stalled(fs *faultState, now time.Time) bool {
	if fs == nil || fs.StallFor == 0 {
		return false
	}
	el := now.Sub(fs.since)
	if fs.StallEvery == 0 {
		return el < fs.StallFor
	}
	return el >= fs.StallEvery && el%fs.StallEvery < fs.StallFor
}

// prime writes the first packet of IDR frame n while nobody plays, so that gortsplib's
// RTP-Info header (built from the last packet written) is fresh when a reader arrives.
func (r *streamRunner) prime(au *accessUnit, n int64, d time.Time) {
	r.pkt.SequenceNumber = r.seq
	r.seq++
	r.pkt.Timestamp = r.rtpTS(n)
	r.pkt.Marker = len(au.payloads) == 1
	r.pkt.Payload = au.payloads[0]
	if err := r.stream.WritePacketRTPWithNTP(r.media, &r.pkt, d); err != nil {
		r.stats.writeErrs.Add(1)
		r.writeErrs.add(err, "stream", r.name)
	}
}

func (r *streamRunner) sendAU(au *accessUnit, n int64, d, now time.Time) {
	fs := r.syncFaults(now, true)

	if stalled(fs, now) {
		// the packets are "lost in the network": sequence numbers move on
		r.seq += uint16(len(au.payloads))
		r.stats.stalled.Add(uint64(len(au.payloads)))
		return
	}

	var corrupt float64
	if fs != nil {
		corrupt = fs.CorruptRatio
	}
	ts := r.rtpTS(n)
	r.pkt.Timestamp = ts
	last := len(au.payloads) - 1
	size := 0
	for k, p := range au.payloads {
		if corrupt > 0 && r.rng.Float64() < corrupt {
			p = corruptPayload(r.rng, p)
			r.stats.corrupted.Add(1)
		}
		r.pkt.SequenceNumber = r.seq
		r.seq++
		r.pkt.Marker = k == last
		r.pkt.Payload = p
		// gortsplib sets SSRC, marshals into its own buffer and keeps nothing of pkt
		if err := r.stream.WritePacketRTPWithNTP(r.media, &r.pkt, d); err != nil {
			r.stats.writeErrs.Add(1)
			r.writeErrs.add(err, "stream", r.name)
		}
		size += len(p)
	}
	r.sentPackets += uint32(len(au.payloads))
	r.sentOctets += uint32(size)
	r.stats.aus.Add(1)
	r.stats.packets.Add(uint64(len(au.payloads)))
	r.stats.bytes.Add(uint64(size))

	if j := r.joinedAt.Load(); j != r.lastJoin {
		r.lastJoin = j
		if soon := time.Unix(0, j).Add(srAfterJoin); soon.Before(r.nextSR) {
			r.nextSR = soon
		}
	}
	if !now.Before(r.nextSR) {
		r.sendSR(ts, d, fs)
		r.nextSR = now.Add(r.srPeriod)
	}
}

// sendSR sends an RTCP sender report mapping the RTP timestamp of the frame just sent to its
// capture time on the camera's wall clock (true time + ClockOffset), RFC 3550 NTP format.
func (r *streamRunner) sendSR(ts uint32, capture time.Time, fs *faultState) {
	if fs != nil {
		capture = capture.Add(fs.ClockOffset)
	}
	sr := &rtcp.SenderReport{
		SSRC:        r.ssrc,
		NTPTime:     ntpTimestamp(capture),
		RTPTime:     ts,
		PacketCount: r.sentPackets,
		OctetCount:  r.sentOctets,
	}
	if err := r.stream.WritePacketRTCP(r.media, sr); err != nil {
		r.writeErrs.add(err, "stream", r.name)
		return
	}
	r.stats.srs.Add(1)
}

// ntpEpochOffset is the number of seconds from 1900-01-01 to 1970-01-01.
const ntpEpochOffset = 2208988800

// ntpTimestamp encodes t as a 64-bit NTP timestamp (RFC 3550 §4: seconds since 1900 in the
// high 32 bits, the fraction of a second in units of 2^-32 in the low 32 bits).
//
// gortsplib v4.16.2 uses nanoseconds instead of 2^-32 fractions in both its sender and
// receiver (bluenviron/gortsplib#869, fixed after v4.16.2), so Client.PacketNTP misreads the
// sub-second part of standard sender reports by up to ~3.3 s. We send the standard format,
// like real cameras do.
func ntpTimestamp(t time.Time) uint64 {
	ns := t.UnixNano()
	sec := uint64(ns/1e9) + ntpEpochOffset
	frac := uint64(ns%1e9) << 32 / 1e9
	return sec<<32 | frac
}

// corruptPayload returns a malformed H.264 RTP payload in place of orig (which is shared and
// never modified).
func corruptPayload(rng *rand.Rand, orig []byte) []byte {
	nri := byte(0x60)
	if len(orig) > 0 {
		nri = orig[0] & 0x60
	}
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	switch rng.IntN(4) {
	case 0: // FU-A indicator without an FU header: truncated fragment
		return []byte{nri | 28}
	case 1: // STAP-A whose first NAL unit length runs past the end of the packet
		b := make([]byte, 8)
		fill(b)
		b[0], b[1], b[2] = nri|24, 0xff, 0xf0
		return b
	case 2: // MTAP16, a packet type cameras never send and clients do not support
		b := make([]byte, 8+rng.IntN(56))
		fill(b)
		b[0] = nri | 26
		return b
	default: // a non-IDR slice made of random bytes
		b := make([]byte, max(len(orig), 16))
		fill(b)
		b[0] = nri | 1
		return b
	}
}
