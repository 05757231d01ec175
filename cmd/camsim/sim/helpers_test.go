package sim

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Small, fast specs: 2 s clips (one loop every 2 s), 1 s GOPs.
var (
	testMain = StreamSpec{Width: 320, Height: 180, FPS: 25, GOP: time.Second, Bitrate: 800_000}
	testSub  = StreamSpec{Width: 160, Height: 90, FPS: 5, GOP: time.Second, Bitrate: 128_000}
)

const testClipSeconds = 2

// testClipDir is shared by the tests of this package and by later runs (generation is
// locked and atomic). VIGIL_CAMSIM_TEST_CLIPS overrides it.
func testClipDir() string {
	if d := os.Getenv("VIGIL_CAMSIM_TEST_CLIPS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "vigil-camsim-test-clips")
}

// testLogger logs to the test, and stops at the end of it.
func testLogger(t *testing.T) *slog.Logger {
	w := &testLogWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	level := slog.LevelInfo
	if testing.Verbose() {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type testLogWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(p[:len(p)-1]))
	}
	return len(p), nil
}

func testConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Cameras = 2
	cfg.Main, cfg.Sub = testMain, testSub
	cfg.ClipDir = testClipDir()
	cfg.ClipSeconds = testClipSeconds
	cfg.SenderReportPeriod = 500 * time.Millisecond
	cfg.Logger = testLogger(t)
	return cfg
}

// startServer starts a server with testConfig, modified by mod; it is closed at the end of t.
func startServer(t *testing.T, mod func(*Config)) *Server {
	t.Helper()
	s := &Server{Config: testConfig(t)}
	if mod != nil {
		mod(&s.Config)
	}
	if err := s.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

type recvPacket struct {
	seq    uint16
	ts     uint32
	marker bool
	at     time.Time
}

type recvAU struct {
	ts    uint32
	nalus [][]byte
	idr   bool
	at    time.Time
}

type recvSR struct {
	sr rtcp.SenderReport
	at time.Time
}

// reader plays one H.264 stream with a real gortsplib client and records what it gets.
type reader struct {
	c     *gortsplib.Client
	desc  *description.Session
	medi  *description.Media
	forma *format.H264
	dec   *rtph264.Decoder
	done  chan struct{}

	mu         sync.Mutex
	packets    []recvPacket
	aus        []recvAU
	decodeErrs []error
	srs        []recvSR
	ntps       []time.Time // Client.PacketNTP of AUs, when known
	lost       uint64
	err        error // why the session ended
}

type readerOpts struct {
	transport gortsplib.Transport
}

// dial connects, describes, sets up and plays url; it returns the RTSP error, if any.
// The reader is closed at the end of t.
func dial(t *testing.T, url string, opts ...readerOpts) (*reader, error) {
	t.Helper()
	o := readerOpts{transport: gortsplib.TransportTCP}
	if len(opts) > 0 {
		o = opts[0]
	}
	u, err := base.ParseURL(url)
	if err != nil {
		return nil, err
	}
	r := &reader{done: make(chan struct{})}
	r.c = &gortsplib.Client{
		Scheme:      u.Scheme,
		Host:        u.Host,
		Transport:   &o.transport,
		ReadTimeout: 5 * time.Second,
		OnPacketsLost: func(lost uint64) {
			r.mu.Lock()
			r.lost += lost
			r.mu.Unlock()
		},
		OnDecodeError: func(error) {},
	}
	if err := r.c.Start2(); err != nil {
		return nil, err
	}
	desc, _, err := r.c.Describe(u)
	if err != nil {
		r.c.Close()
		return nil, err
	}
	r.desc = desc
	r.medi = desc.FindFormat(&r.forma)
	if r.medi == nil {
		r.c.Close()
		return r, errNotH264
	}
	if r.dec, err = r.forma.CreateDecoder(); err != nil {
		r.c.Close()
		return nil, err
	}
	if _, err := r.c.Setup(desc.BaseURL, r.medi, 0, 0); err != nil {
		r.c.Close()
		return nil, err
	}
	r.c.OnPacketRTP(r.medi, r.forma, r.onRTP)
	r.c.OnPacketRTCP(r.medi, r.onRTCP)
	if _, err := r.c.Play(nil); err != nil {
		r.c.Close()
		return nil, err
	}
	go func() {
		err := r.c.Wait()
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
		close(r.done)
	}()
	t.Cleanup(r.close)
	return r, nil
}

var errNotH264 = errors.New("no H.264 media")

func (r *reader) close() {
	r.c.Close()
	<-r.done
}

func (r *reader) onRTP(pkt *rtp.Packet) {
	now := time.Now()
	ntp, ntpOK := r.c.PacketNTP(r.medi, pkt)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.packets = append(r.packets, recvPacket{seq: pkt.SequenceNumber, ts: pkt.Timestamp, marker: pkt.Marker, at: now})
	au, err := r.dec.Decode(pkt)
	if err != nil {
		if !errors.Is(err, rtph264.ErrMorePacketsNeeded) && !errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) {
			r.decodeErrs = append(r.decodeErrs, err)
		}
		return
	}
	r.aus = append(r.aus, recvAU{ts: pkt.Timestamp, nalus: au, idr: h264.IsRandomAccess(au), at: now})
	if ntpOK {
		r.ntps = append(r.ntps, ntp)
	}
}

func (r *reader) onRTCP(pkt rtcp.Packet) {
	if sr, ok := pkt.(*rtcp.SenderReport); ok {
		r.mu.Lock()
		r.srs = append(r.srs, recvSR{sr: *sr, at: time.Now()})
		r.mu.Unlock()
	}
}

func (r *reader) snapshot() (packets []recvPacket, aus []recvAU, decodeErrs []error, srs []recvSR) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recvPacket(nil), r.packets...), append([]recvAU(nil), r.aus...),
		append([]error(nil), r.decodeErrs...), append([]recvSR(nil), r.srs...)
}

func (r *reader) count() (packets, aus int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.packets), len(r.aus)
}

// closed reports whether the session ended within d.
func (r *reader) closed(d time.Duration) bool {
	select {
	case <-r.done:
		return true
	case <-time.After(d):
		return false
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func statusCode(err error) base.StatusCode {
	var bad liberrors.ErrClientBadStatusCode
	if errors.As(err, &bad) {
		return bad.Code
	}
	return 0
}

// ntpToTime decodes an RFC 3550 NTP timestamp.
func ntpToTime(v uint64) time.Time {
	sec := int64(v>>32) - ntpEpochOffset
	frac := int64((v & 0xffffffff) * 1e9 >> 32)
	return time.Unix(sec, frac)
}
