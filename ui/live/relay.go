package live

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
)

// frame is one access unit packetised into RTP payloads, once per relay, and
// shared read-only by every viewer of the camera stream.
type frame struct {
	idx       uint64 // position in the relay's output, from 1
	ts        int64  // 90 kHz, monotonic across ingest sessions (not wrapped)
	keyframe  bool
	payloads  [][]byte
	size      int
	published time.Time // when ingest handed it to the hub (AccessUnit.Received)
}

// Relay sizes.
const (
	relayReaderQueue = 512     // access units the relay may lag behind the hub
	viewerQueue      = 64      // frames a viewer may lag behind the relay (~2.5 s at 25 fps)
	gopCacheBytes    = 8 << 20 // a longer GOP loses the relay's cache
	gopCacheFrames   = 600
	frameTicks       = 3600 // 40 ms at 90 kHz: the gap left at an ingest session change
)

// relay is the single hub reader of one camera stream for every viewer of
// it: it packetises each access unit once, keeps the current GOP (already
// packetised) for instant start and keyframe requests, and offers each
// frame to each viewer's bounded queue without ever blocking.
type relay struct {
	srv    *Server
	hub    *ingest.Hub
	camera string
	reader *ingest.Reader

	refs int // viewers holding the relay; guarded by srv.mu

	ready     chan struct{} // closed once the first ingest session is known
	readyOnce sync.Once
	closing   atomic.Bool
	done      chan struct{}

	mu      sync.Mutex
	viewers []*viewer
	gop     []*frame // from the latest keyframe; a new array at each keyframe
	gopSize int
	info    streamInfo
	refused error // set (by run only) when B-frames were found; every viewer is ended

	// owned by run
	session  *ingest.Session
	startPTS time.Duration
	base     int64 // ts of the session's first frame
	lastPTS  time.Duration
	havePTS  bool
	lastTS   int64
	needKey  bool
	idx      uint64
	scratch  [][]byte
}

func newRelay(s *Server, hub *ingest.Hub, camera string) *relay {
	r := &relay{
		srv:    s,
		hub:    hub,
		camera: camera,
		ready:  make(chan struct{}),
		done:   make(chan struct{}),
	}
	r.reader = hub.Attach(ingest.ReaderOptions{Name: "live", Queue: relayReaderQueue, Start: ingest.StartCachedKeyframe})
	s.wg.Add(1)
	go r.run()
	return r
}

// close detaches the relay from its hub; run ends and closes done.
func (r *relay) close() {
	r.closing.Store(true)
	r.reader.Close()
}

func (r *relay) run() {
	defer r.srv.wg.Done()
	defer close(r.done)
	for au := range r.reader.C() {
		r.handle(au)
	}
	if !r.closing.Load() {
		// The hub closed: the camera was removed or the server is stopping.
		r.endAll(fmt.Errorf("%w: camera stream %s/%s closed", ErrNoStream, r.hub.Camera, r.hub.Stream))
	}
	r.readyOnce.Do(func() { close(r.ready) })
}

func (r *relay) handle(au *ingest.AccessUnit) {
	if au.Session != r.session {
		r.newSession(au.Session)
	}
	if r.refused != nil { // only run writes it: no lock needed to read it here
		return
	}
	if r.havePTS && au.PTS < r.lastPTS {
		r.refuse(fmt.Errorf("%w: presentation times go backwards (%v after %v): frames are reordered", ErrBFrames, au.PTS, r.lastPTS))
		return
	}
	r.lastPTS, r.havePTS = au.PTS, true
	if r.needKey && !au.Keyframe {
		return
	}
	if r.needKey {
		r.needKey = false
		r.startPTS = au.PTS
	}

	var sps, pps []byte
	if au.Session != nil {
		sps, pps = au.Session.SPS, au.Session.PPS
	}
	payloads, size := packetize(au.NALUs, au.Keyframe, sps, pps, r.scratch[:0])
	if len(payloads) == 0 {
		return
	}
	r.idx++
	f := &frame{
		idx:       r.idx,
		ts:        r.base + ticks(au.PTS-r.startPTS),
		keyframe:  au.Keyframe,
		payloads:  append([][]byte(nil), payloads...),
		size:      size,
		published: au.Received,
	}
	if f.ts < r.lastTS { // a camera whose PTS restarted without a new session
		f.ts = r.lastTS + 1
	}
	r.lastTS = f.ts
	clear(payloads)
	r.scratch = payloads

	r.mu.Lock()
	switch {
	case f.keyframe:
		r.gop = make([]*frame, 1, 64)
		r.gop[0], r.gopSize = f, f.size
	case r.gop != nil:
		if r.gopSize+f.size > gopCacheBytes || len(r.gop) >= gopCacheFrames {
			r.gop, r.gopSize = nil, 0
		} else {
			r.gop = append(r.gop, f)
			r.gopSize += f.size
		}
	}
	for _, v := range r.viewers {
		v.offer(f)
	}
	r.mu.Unlock()
}

// newSession starts a new ingest session (a camera restart, new SPS/PPS):
// the output timeline continues, the GOP cache restarts at the next keyframe
// (which carries the new SPS/PPS in band).
func (r *relay) newSession(s *ingest.Session) {
	var info streamInfo
	if s != nil {
		info = inspectSPS(s.SPS)
	}
	if r.session != nil {
		r.base = r.lastTS + frameTicks
	}
	r.session, r.needKey, r.havePTS = s, true, false
	r.srv.mu.Lock()
	rf, known := r.srv.refusals[r.hub]
	if known && rf.session != s {
		delete(r.srv.refusals, r.hub) // a new session starts clean
		known = false
	}
	r.srv.mu.Unlock()
	r.mu.Lock()
	r.info = info
	r.gop, r.gopSize = nil, 0
	r.refused = nil
	if known {
		r.refused = rf.err
	}
	r.mu.Unlock()
	if info.bframes {
		r.refuse(fmt.Errorf("%w: %s", ErrBFrames, info.detail))
	}
	r.readyOnce.Do(func() { close(r.ready) })
}

// refusal is why an ingest session of a hub was refused.
type refusal struct {
	session *ingest.Session
	err     error
}

// refuse ends every viewer and refuses new ones until the next session,
// in this relay and any later one on the same hub.
func (r *relay) refuse(err error) {
	r.mu.Lock()
	r.refused = err
	r.gop, r.gopSize = nil, 0
	r.mu.Unlock()
	r.srv.mu.Lock()
	r.srv.refusals[r.hub] = refusal{session: r.session, err: err}
	r.srv.mu.Unlock()
	r.srv.logger.Warn("live: camera stream refused", "camera", r.hub.Camera, "stream", r.hub.Stream, "error", err)
	r.endAll(err)
}

func (r *relay) endAll(err error) {
	r.mu.Lock()
	vs := append([]*viewer(nil), r.viewers...)
	r.mu.Unlock()
	for _, v := range vs {
		v.end(err)
	}
}

// state returns the stream info and refusal, for Start.
func (r *relay) state() (streamInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info, r.refused
}

// join adds a viewer and returns the GOP to start it with (nil when there is
// no keyframe yet: the viewer then waits for the next one).
func (r *relay) join(v *viewer) []*frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.viewers = append(r.viewers, v)
	if len(r.gop) == 0 {
		v.q.WaitKey = true
		return nil
	}
	return r.gop
}

// leave removes a viewer.
func (r *relay) leave(v *viewer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.viewers {
		if x == v {
			copy(r.viewers[i:], r.viewers[i+1:])
			r.viewers[len(r.viewers)-1] = nil
			r.viewers = r.viewers[:len(r.viewers)-1]
			return
		}
	}
}

// snapshot returns the current GOP (shared, read-only).
func (r *relay) snapshot() []*frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gop
}

// ticks converts a duration to the 90 kHz RTP clock without overflowing.
func ticks(d time.Duration) int64 {
	return int64(d/time.Millisecond)*90 + int64(d%time.Millisecond)*90/int64(time.Millisecond)
}
