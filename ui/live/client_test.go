package live

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
)

func quietLogger() *slog.Logger {
	if os.Getenv("VIGIL_LIVE_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// camRig is a camsim camera feeding a real ingest supervisor.
type camRig struct {
	sim *sim.Server
	sup *ingest.Supervisor
}

func startCameras(t testing.TB, n int, tune ...func(*sim.Config)) *camRig {
	t.Helper()
	s := simtest.Start(t, n, tune...)
	sup := &ingest.Supervisor{
		Source: rtsp.Read,
		Defaults: ingest.Defaults{
			Transport:   "tcp",
			ReadTimeout: 5 * time.Second,
			Backoff:     ingest.Backoff{Min: 200 * time.Millisecond, Max: time.Second},
		},
		Logger: quietLogger(),
	}
	sup.Initialize()
	t.Cleanup(sup.Close)
	for i := 1; i <= n; i++ {
		sup.Upsert(ingest.Camera{ID: sim.CameraName(i), Enabled: true,
			Main: ingest.Target{URL: s.URL(i, "main")}, Sub: ingest.Target{URL: s.URL(i, "sub")}})
	}
	for i := 1; i <= n; i++ {
		name := sim.CameraName(i)
		waitFor(t, 15*time.Second, name+" online", func() bool {
			st, _ := sup.Status(name)
			for _, s := range st.Streams {
				if s.Stream == "main" && s.State == ingest.StateOnline && s.KeyframeInterval > 0 {
					return true
				}
			}
			return false
		})
	}
	return &camRig{sim: s, sup: sup}
}

func newServer(t testing.TB, hubs Hubs, tune ...func(*Server)) (*Server, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	s := &Server{Hubs: hubs, Registerer: reg, Logger: quietLogger()}
	for _, f := range tune {
		f(s)
	}
	if err := s.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, reg
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settledGoroutines waits until the goroutine count stops moving.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(100 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			break
		}
		n = m
	}
	return n
}

// clientOptions shape a test viewer.
type clientOptions struct {
	tcpOnly  bool
	noReplay bool                // accept retransmissions of packets already received (NACK test)
	noRead   bool                // never read the track
	munge    func(string) string // rewrites the answer before it is applied
	readHook func(p *rtp.Packet) // called for each packet read
}

// client is a real pion WebRTC viewer.
type client struct {
	t     testing.TB
	pc    *webrtc.PeerConnection
	sess  Session
	opts  clientOptions
	track chan *webrtc.TrackRemote
	done  chan struct{}
	quit  chan struct{}

	mu         sync.Mutex
	packets    int
	frames     int
	keyframes  int
	firstTypes []byte // NAL unit types of the first frame
	curTypes   []byte
	firstAt    time.Time
	frameAt    []time.Time
	seqs       []uint16
	ts         []uint32
	gaps       int
	depkt      codecs.H264Packet
	naluErrs   int
	receivedAt map[uint16]int // how many times each sequence number arrived
}

// newClientPC makes the viewer's peer connection with a browser-like offer
// (H.264 in four profiles, VP8, VP9...: pion's default codecs).
func newClientPC(t testing.TB, tcpOnly, noReplay bool) *webrtc.PeerConnection {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	if tcpOnly {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	}
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.DisableSRTPReplayProtection(noReplay)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// offerFrom makes pc's offer with all its candidates.
func offerFrom(t testing.TB, pc *webrtc.PeerConnection) string {
	t.Helper()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}

// view starts a viewer of camera/stream through srv.Start.
func view(t testing.TB, srv *Server, camera, stream, user, login string, opts clientOptions) *client {
	t.Helper()
	c := &client{t: t, opts: opts, track: make(chan *webrtc.TrackRemote, 1), done: make(chan struct{}), quit: make(chan struct{}), receivedAt: map[uint16]int{}}
	c.pc = newClientPC(t, opts.tcpOnly, opts.noReplay)
	t.Cleanup(func() { close(c.quit); c.pc.Close(); <-c.done })
	c.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { c.track <- tr })
	sdp := offerFrom(t, c.pc)
	sess, err := srv.Start(context.Background(), Request{Camera: camera, Stream: stream, User: user, Login: login, Offer: sdp})
	if err != nil {
		close(c.done)
		t.Fatalf("Start: %v", err)
	}
	c.sess = sess
	answer := sess.Answer
	if opts.munge != nil {
		answer = opts.munge(answer)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		close(c.done)
		t.Fatalf("SetRemoteDescription: %v", err)
	}
	go c.read()
	return c
}

func (c *client) read() {
	defer close(c.done)
	var tr *webrtc.TrackRemote
	select {
	case tr = <-c.track:
	case <-c.quit:
		return
	}
	if c.opts.noRead {
		// Keep the track unread until the peer connection closes.
		for c.pc.ConnectionState() != webrtc.PeerConnectionStateClosed {
			time.Sleep(50 * time.Millisecond)
		}
		return
	}
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		c.handle(p)
		if c.opts.readHook != nil {
			c.opts.readHook(p)
		}
	}
}

// splitAnnexB is the NAL units of an Annex-B byte stream (none if it is
// not one, as while a fragmented unit is still being gathered).
func splitAnnexB(b []byte) [][]byte {
	var au h264.AnnexB
	if len(b) == 0 || au.Unmarshal(b) != nil {
		return nil
	}
	return au
}

func (c *client) handle(p *rtp.Packet) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.receivedAt[p.SequenceNumber]++
	if c.receivedAt[p.SequenceNumber] > 1 {
		return // a retransmission
	}
	if n := len(c.seqs); n > 0 && p.SequenceNumber != c.seqs[n-1]+1 {
		c.gaps++
	}
	c.packets++
	c.seqs = append(c.seqs, p.SequenceNumber)
	out, err := c.depkt.Unmarshal(p.Payload)
	if err != nil {
		c.naluErrs++
	}
	for _, nalu := range splitAnnexB(out) {
		c.curTypes = append(c.curTypes, nalu[0]&0x1f)
	}
	if p.Marker {
		c.frames++
		c.frameAt = append(c.frameAt, now)
		c.ts = append(c.ts, p.Timestamp)
		if bytes.IndexByte(c.curTypes, 5) >= 0 {
			c.keyframes++
		}
		if c.firstTypes == nil {
			c.firstTypes = append([]byte{}, c.curTypes...)
			c.firstAt = now
		}
		c.curTypes = c.curTypes[:0]
	}
}

func (c *client) snapshot() (frames, keyframes, packets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames, c.keyframes, c.packets
}

// framesBetween counts frames received in [from, to).
func (c *client) framesSince(from time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, at := range c.frameAt {
		if !at.Before(from) {
			n++
		}
	}
	return n
}

func (c *client) sendRTCP(pkts ...rtcp.Packet) {
	c.t.Helper()
	if err := c.pc.WriteRTCP(pkts); err != nil {
		c.t.Fatalf("WriteRTCP: %v", err)
	}
}

func (c *client) ssrc() uint32 {
	for _, r := range c.pc.GetReceivers() {
		if tr := r.Track(); tr != nil {
			return uint32(tr.SSRC())
		}
	}
	return 0
}

// nalTypes names the NAL unit types of a frame, SEI left out.
func nalTypes(b []byte) string {
	var s []string
	for _, x := range b {
		if x == 6 {
			continue // SEI: whatever the encoder adds
		}
		s = append(s, map[byte]string{1: "P", 5: "IDR", 7: "SPS", 8: "PPS"}[x])
	}
	return strings.Join(s, ",")
}
