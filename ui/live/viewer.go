package live

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest"
)

// Viewer timings.
const (
	connectTimeout = 20 * time.Second // offer answered, ICE+DTLS not done: give up
	burstSpacing   = 90               // 1 ms at 90 kHz between the frames of a GOP burst
	pliInterval    = time.Second      // at most one GOP resend per viewer per second
	ringSize       = 1024             // packets kept per viewer for NACKs (~1.5 s at 2 Mbit/s)
	readyTimeout   = 3 * time.Second  // DTLS connected, SRTP not yet keyed
)

// sent is one packet in a viewer's retransmission ring.
type sent struct {
	payload []byte
	ts      uint32
	seq     uint16
	marker  bool
	ok      bool
}

// viewer is one live session: a peer connection, a bounded queue of frames
// fed by its relay, and one writer goroutine that owns every RTP write
// (frames, GOP bursts, retransmissions) so sequence numbers and timestamps
// need no locks.
type viewer struct {
	srv                      *Server
	id, camera, stream, user string
	login                    string
	started                  time.Time
	relay                    *relay
	pc                       *webrtc.PeerConnection
	sender                   *webrtc.RTPSender
	track                    *track
	dropCounter              prometheus.Counter
	q                        ingest.KeyQueue[*frame] // Offer guarded by relay.mu
	pli                      chan struct{}
	nack                     chan []uint16
	connected                chan struct{}
	connectedOnce, stopOnce  sync.Once
	stop, done               chan struct{}
	reason                   error
	dropped, frames, plis    atomic.Uint64
	nacked, retransmitted    atomic.Uint64
	firstFrame               atomic.Int64 // ns from Start to the first keyframe written; 0 until then
	bursts                   atomic.Uint64

	// owned by the writer goroutine
	ws        webrtc.TrackLocalWriter
	ssrc      uint32
	pt        uint8
	seq       uint16
	lastTS    int64
	tsOff     int64
	lastIdx   uint64
	sentKey   bool
	skipKey   bool // the transport dropped a packet: wait for a keyframe
	srtpReady bool
	lastBurst time.Time
	ring      [ringSize]sent
}

func newViewer(s *Server, id string, r Request, started time.Time) *viewer {
	return &viewer{
		srv: s, id: id, camera: r.Camera, stream: r.Stream, user: r.User, login: r.Login,
		started:     started,
		track:       newTrack(id),
		dropCounter: s.m.dropped.WithLabelValues(r.Camera),
		q:           ingest.NewKeyQueue[*frame](viewerQueue, false),
		pli:         make(chan struct{}, 1),
		nack:        make(chan []uint16, 16),
		connected:   make(chan struct{}),
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
		seq:         uint16(rand.Uint32()),
	}
}

// end asks the viewer to stop; the first reason wins. Safe from any goroutine.
func (v *viewer) end(err error) {
	v.stopOnce.Do(func() {
		v.reason = err
		close(v.stop)
	})
}

// offer enqueues f without blocking; called by the relay with relay.mu held.
// A viewer that cannot keep up loses the frame and everything up to the
// next keyframe: a P-frame whose reference was dropped is never sent.
func (v *viewer) offer(f *frame) {
	if v.q.Offer(f, f.keyframe) {
		v.drop()
	}
}

func (v *viewer) drop() {
	v.dropped.Add(1)
	v.dropCounter.Inc()
}

// run is the writer goroutine; it owns the viewer's clean-up.
func (v *viewer) run() {
	defer v.srv.wg.Done()
	rtcpDone, closed := make(chan struct{}), make(chan struct{})
	go v.readRTCP(rtcpDone)
	// The closer unblocks a writer stuck on a stalled ICE-TCP connection.
	go func() {
		defer close(closed)
		<-v.stop
		if err := v.pc.Close(); err != nil {
			v.srv.logger.Debug("live: closing peer connection", "session", v.id, "error", err)
		}
	}()
	err := v.serve()
	v.end(err)
	v.relay.leave(v)
	<-closed
	<-rtcpDone
	v.srv.release(v)
	if v.reason != nil {
		v.srv.logger.Info("live: session ended", "session", v.id, "camera", v.camera, "stream", v.stream, "user", v.user, "reason", v.reason,
			"frames", v.frames.Load(), "dropped", v.dropped.Load())
	} else {
		v.srv.logger.Debug("live: session ended", "session", v.id, "camera", v.camera, "stream", v.stream, "user", v.user,
			"frames", v.frames.Load(), "dropped", v.dropped.Load())
	}
	close(v.done)
}

func (v *viewer) serve() error {
	timer := time.NewTimer(connectTimeout)
	defer timer.Stop()
	select {
	case <-v.stop:
		return nil
	case <-timer.C:
		return fmt.Errorf("ICE/DTLS did not connect within %v", connectTimeout)
	case <-v.connected:
	}
	select {
	case <-v.stop:
		return nil
	case <-v.track.bound:
	}
	v.ws, v.ssrc, v.pt = v.track.binding()

	if gop := v.relay.join(v); len(gop) > 0 {
		if err := v.burst(gop, true); err != nil {
			return err
		}
	}
	for {
		select {
		case <-v.stop:
			return nil
		case f := <-v.q.C:
			if f.idx <= v.lastIdx {
				continue // already sent in a GOP burst
			}
			if v.skipKey && !f.keyframe {
				v.drop()
				v.lastIdx = f.idx
				continue
			}
			v.skipKey = false
			if err := v.write(f, f.ts+v.tsOff); err != nil {
				return err
			}
			v.lastIdx = f.idx
		case <-v.pli:
			if time.Since(v.lastBurst) < pliInterval {
				continue
			}
			if gop := v.relay.snapshot(); len(gop) > 0 {
				if err := v.burst(gop, false); err != nil {
					return err
				}
			}
		case seqs := <-v.nack:
			if err := v.retransmit(seqs); err != nil {
				return err
			}
		}
	}
}

// burst sends a whole GOP with timestamps 1 ms apart, so the browser decodes
// and shows its last picture at once. The first burst ends at the live
// timeline; a later one (a keyframe request) continues after the last
// timestamp sent, and the live frames after it are shifted so timestamps stay
// monotonic.
func (v *viewer) burst(gop []*frame, first bool) error {
	k := int64(len(gop))
	last := gop[k-1]
	for i, f := range gop {
		var ts int64
		if first {
			ts = last.ts - (k-1-int64(i))*burstSpacing
		} else {
			ts = v.lastTS + int64(i+1)*burstSpacing
		}
		if err := v.write(f, ts); err != nil {
			return err
		}
		if v.skipKey {
			return nil // the transport is backed up: wait for the next keyframe
		}
	}
	if !first {
		if last.ts+v.tsOff <= v.lastTS {
			v.tsOff = v.lastTS - last.ts
		}
	}
	v.lastIdx = max(v.lastIdx, last.idx)
	v.lastBurst = time.Now()
	v.bursts.Add(1)
	return nil
}

// write sends one frame's packets with the viewer's own contiguous sequence
// numbers and remembers them for NACKs. When the transport refuses a packet
// (an ICE-TCP viewer whose write buffer is full), the rest of the frame and
// everything up to the next keyframe is dropped for this viewer, counted.
func (v *viewer) write(f *frame, ts int64) error {
	n := len(f.payloads)
	for j, p := range f.payloads {
		h := rtp.Header{
			Version:        2,
			Marker:         j == n-1,
			PayloadType:    v.pt,
			SequenceNumber: v.seq,
			Timestamp:      uint32(ts),
			SSRC:           v.ssrc,
		}
		ok, err := v.send(&h, p)
		if err != nil {
			return err
		}
		if !ok {
			v.skipKey = true
			v.drop()
			return nil
		}
		v.ring[v.seq%ringSize] = sent{payload: p, ts: uint32(ts), seq: v.seq, marker: h.Marker, ok: true}
		v.seq++
	}
	v.lastTS = ts
	v.frames.Add(1)
	if f.keyframe && !v.sentKey {
		v.sentKey = true
		d := time.Since(v.started)
		v.firstFrame.Store(int64(d))
		v.srv.m.ttff.Observe(d.Seconds())
	}
	return nil
}

var errNotKeyed = errors.New("SRTP was not keyed within " + readyTimeout.String() + " of DTLS connecting")

// send writes one packet; ok is false when the transport dropped it. Until
// SRTP is keyed (just after DTLS connects) pion accepts and drops writes
// (n == 0): wait for it rather than lose the first keyframe. After that,
// n == 0 means the transport is backed up.
func (v *viewer) send(h *rtp.Header, p []byte) (ok bool, err error) {
	n, err := v.ws.WriteRTP(h, p)
	if err != nil {
		return false, err
	}
	if v.srtpReady {
		return n > 0, nil
	}
	deadline := time.Now().Add(readyTimeout)
	for n == 0 {
		if time.Now().After(deadline) {
			return false, errNotKeyed
		}
		select {
		case <-v.stop:
			return false, nil
		case <-time.After(2 * time.Millisecond):
		}
		if n, err = v.ws.WriteRTP(h, p); err != nil {
			return false, err
		}
	}
	v.srtpReady = true
	return true, nil
}

// retransmit resends NACKed packets still in the ring, unchanged.
func (v *viewer) retransmit(seqs []uint16) error {
	for _, s := range seqs {
		e := &v.ring[s%ringSize]
		if !e.ok || e.seq != s {
			continue
		}
		h := rtp.Header{Version: 2, Marker: e.marker, PayloadType: v.pt, SequenceNumber: s, Timestamp: e.ts, SSRC: v.ssrc}
		if _, err := v.ws.WriteRTP(&h, e.payload); err != nil {
			return err
		}
		v.retransmitted.Add(1)
		v.srv.m.retransmits.Inc()
	}
	return nil
}

// readRTCP drains the sender's RTCP (it must be read for pion's interceptors
// to work) and hands keyframe requests and NACKs to the writer.
func (v *viewer) readRTCP(done chan struct{}) {
	defer close(done)
	for {
		pkts, _, err := v.sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				v.plis.Add(1)
				v.srv.m.keyframes.Inc()
				select {
				case v.pli <- struct{}{}:
				default:
				}
			case *rtcp.TransportLayerNack:
				var seqs []uint16
				for _, pair := range p.Nacks {
					seqs = append(seqs, pair.PacketList()...)
				}
				v.nacked.Add(uint64(len(seqs)))
				v.srv.m.nacks.Add(float64(len(seqs)))
				select {
				case v.nack <- seqs:
				default:
				}
			}
		}
	}
}
