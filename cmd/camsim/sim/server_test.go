package sim

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// checkStream checks what r received: valid H.264 access units once an IDR arrived,
// continuous sequence numbers, and RTP timestamps advancing by exactly one frame.
func checkStream(t *testing.T, r *reader, spec StreamSpec) (frames int) {
	t.Helper()
	packets, aus, decodeErrs, _ := r.snapshot()
	if len(decodeErrs) > 0 {
		t.Errorf("%d depacketization errors, first: %v", len(decodeErrs), decodeErrs[0])
	}
	for i := 1; i < len(packets); i++ {
		if packets[i].seq != packets[i-1].seq+1 {
			t.Fatalf("packet %d: sequence %d after %d", i, packets[i].seq, packets[i-1].seq)
		}
		if d := int32(packets[i].ts - packets[i-1].ts); d < 0 {
			t.Fatalf("packet %d: timestamp went back by %d", i, -d)
		}
	}
	first := -1
	for i, au := range aus {
		if au.idr {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatalf("no IDR among %d access units", len(aus))
	}
	step := uint32(rtpClockRate / spec.FPS)
	gop := spec.GOPFrames()
	for i := first; i < len(aus); i++ {
		var hasSlice bool
		for _, nalu := range aus[i].nalus {
			switch h264.NALUType(nalu[0] & 0x1f) {
			case h264.NALUTypeIDR, h264.NALUTypeNonIDR:
				hasSlice = true
			}
		}
		if !hasSlice {
			t.Fatalf("access unit %d has no slice", i)
		}
		if want := (i-first)%gop == 0; aus[i].idr != want {
			t.Fatalf("access unit %d: IDR=%v, want an IDR every %d frames", i, aus[i].idr, gop)
		}
		if i > first && aus[i].ts-aus[i-1].ts != step {
			t.Fatalf("access unit %d: timestamp step %d, want %d", i, aus[i].ts-aus[i-1].ts, step)
		}
	}
	return len(aus) - first
}

func spsSize(t *testing.T, r *reader) (int, int) {
	t.Helper()
	var sps h264.SPS
	if err := sps.Unmarshal(r.forma.SPS); err != nil {
		t.Fatal(err)
	}
	return sps.Width(), sps.Height()
}

func TestStreamsValidH264AcrossLoop(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) { c.Cameras = 3 })
	if strings.HasSuffix(s.Addr(), ":0") {
		t.Fatalf("Addr() = %s, want the bound port", s.Addr())
	}
	if got, want := s.URL(2, StreamMain), "rtsp://"+s.Addr()+"/cam002/main"; got != want {
		t.Fatalf("URL = %s, want %s", got, want)
	}

	var readers []*reader
	for cam := 1; cam <= 3; cam++ {
		r, err := dial(t, s.URL(cam, StreamMain))
		if err != nil {
			t.Fatal(err)
		}
		if w, h := spsSize(t, r); w != testMain.Width || h != testMain.Height {
			t.Fatalf("cam%d SPS %dx%d", cam, w, h)
		}
		readers = append(readers, r)
	}
	// one clip loop is 2 s; after the first IDR (<= 1 s) read past a loop boundary
	loop := clipFrames(testMain, testClipSeconds)
	for _, r := range readers {
		waitFor(t, 6*time.Second, "a clip loop", func() bool {
			_, aus := r.count()
			return aus > loop+testMain.GOPFrames()+5
		})
	}
	for i, r := range readers {
		if n := checkStream(t, r, testMain); n <= loop {
			t.Fatalf("reader %d: %d frames after the first IDR, want more than a loop (%d)", i, n, loop)
		}
	}

	st := s.Stats()
	if len(st) != 3 || st[0].Main.Readers != 1 || st[0].Main.AccessUnits == 0 || st[0].Sub.Packets != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestSubStreamRateAndSize(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	r, err := dial(t, s.URL(1, StreamSub))
	if err != nil {
		t.Fatal(err)
	}
	if w, h := spsSize(t, r); w != testSub.Width || h != testSub.Height {
		t.Fatalf("sub SPS %dx%d, want %dx%d", w, h, testSub.Width, testSub.Height)
	}
	start := time.Now()
	waitFor(t, 5*time.Second, "sub frames", func() bool { _, n := r.count(); return n >= 12 })
	checkStream(t, r, testSub)
	_, aus, _, _ := r.snapshot()
	// 5 fps: the frames after the first arrive at 5 per second
	span := aus[len(aus)-1].at.Sub(aus[0].at).Seconds()
	if rate := float64(len(aus)-1) / span; rate < 4 || rate > 6 {
		t.Fatalf("sub stream rate %.1f fps (%d frames in %.2fs, total wait %v)", rate, len(aus), span, time.Since(start))
	}
}

func TestRefuseAndRestore(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	r, err := dial(t, s.URL(1, StreamMain))
	if err != nil {
		t.Fatal(err)
	}
	other, err := dial(t, s.URL(2, StreamMain))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "packets", func() bool { n, _ := r.count(); return n > 0 })

	if err := s.SetFault("cam001", Fault{Refuse: true}); err != nil {
		t.Fatal(err)
	}
	if !r.closed(3 * time.Second) {
		t.Fatal("the session of a refused camera stays open")
	}
	if _, err := dial(t, s.URL(1, StreamMain)); statusCode(err) != base.StatusServiceUnavailable {
		t.Fatalf("DESCRIBE of a refused camera: %v, want 503", err)
	}
	if _, err := dial(t, s.URL(1, StreamSub)); statusCode(err) != base.StatusServiceUnavailable {
		t.Fatalf("DESCRIBE of a refused camera's sub stream: %v, want 503", err)
	}
	if other.closed(0) {
		t.Fatal("refusing cam001 closed cam002")
	}
	if f := s.CurrentFaults(); !f["cam001"].Refuse || len(f) != 1 {
		t.Fatalf("CurrentFaults = %v", f)
	}

	s.ClearFault("cam001")
	r2, err := dial(t, s.URL(1, StreamMain))
	if err != nil {
		t.Fatalf("after ClearFault: %v", err)
	}
	waitFor(t, 3*time.Second, "packets after restore", func() bool { n, _ := r2.count(); return n > 0 })
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) {
		c.User, c.Pass = "admin", "s3cret"
		c.Faults = map[string]Fault{"cam002": {User: "other", Pass: "pw"}}
	})
	withCreds := func(cam int, user, pass string) string {
		return strings.Replace(s.URL(cam, StreamMain), "rtsp://", "rtsp://"+user+":"+pass+"@", 1)
	}
	if _, err := dial(t, s.URL(1, StreamMain)); statusCode(err) != base.StatusUnauthorized {
		t.Fatalf("no credentials: %v, want 401", err)
	}
	if _, err := dial(t, withCreds(1, "admin", "wrong")); err == nil {
		t.Fatal("wrong password accepted")
	}
	r, err := dial(t, withCreds(1, "admin", "s3cret"))
	if err != nil {
		t.Fatalf("right credentials: %v", err)
	}
	waitFor(t, 3*time.Second, "packets", func() bool { n, _ := r.count(); return n > 0 })

	// a camera's own credentials replace the global ones
	if _, err := dial(t, withCreds(2, "admin", "s3cret")); err == nil {
		t.Fatal("global credentials accepted by a camera with its own")
	}
	if _, err := dial(t, withCreds(2, "other", "pw")); err != nil {
		t.Fatalf("camera credentials: %v", err)
	}
}

func TestDropClosesSessions(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	r, err := dial(t, s.URL(1, StreamMain))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := dial(t, s.URL(1, StreamSub))
	if err != nil {
		t.Fatal(err)
	}
	set := time.Now()
	if err := s.SetFault("cam001", Fault{DropEvery: 700 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if !r.closed(3 * time.Second) {
		t.Fatal("main session not dropped")
	}
	if el := time.Since(set); el < 600*time.Millisecond {
		t.Fatalf("dropped after %v, before the period", el)
	}
	if !sub.closed(3 * time.Second) {
		t.Fatal("sub session not dropped")
	}
	// a reconnecting client works, and is dropped again
	r2, err := dial(t, s.URL(1, StreamMain))
	if err != nil {
		t.Fatal(err)
	}
	if !r2.closed(3 * time.Second) {
		t.Fatal("second session not dropped")
	}
	if st := s.Stats()[0]; st.Main.Drops < 2 {
		t.Fatalf("drops = %d", st.Main.Drops)
	}
}

func TestStall(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	r, err := dial(t, s.URL(1, StreamMain))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "packets", func() bool { n, _ := r.count(); return n > 20 })
	const stall = 800 * time.Millisecond
	if err := s.SetFault("cam001", Fault{StallFor: stall}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(stall + 600*time.Millisecond)
	if r.closed(0) {
		t.Fatal("a stall closed the connection")
	}
	packets, _, _, _ := r.snapshot()
	var gap time.Duration
	var at int
	for i := 1; i < len(packets); i++ {
		if d := packets[i].at.Sub(packets[i-1].at); d > gap {
			gap, at = d, i
		}
	}
	if gap < stall-100*time.Millisecond || gap > stall+300*time.Millisecond {
		t.Fatalf("longest gap between packets %v, want about %v", gap, stall)
	}
	// the packets were "lost": sequence numbers skip, timestamps move on by the stall
	skipped := packets[at].seq - packets[at-1].seq - 1
	if skipped == 0 {
		t.Fatal("no sequence numbers skipped over the stall")
	}
	if d := time.Duration(packets[at].ts-packets[at-1].ts) * time.Second / rtpClockRate; d < stall-100*time.Millisecond {
		t.Fatalf("timestamps moved by %v over the stall", d)
	}
	if st := s.Stats()[0].Main; st.StalledPackets != uint64(skipped) {
		t.Fatalf("stats: %d stalled packets, saw %d skipped", st.StalledPackets, skipped)
	}
}

func TestPeriodicStall(t *testing.T) {
	t.Parallel()
	f := Fault{StallFor: 300 * time.Millisecond, StallEvery: 900 * time.Millisecond}
	if stalled(&faultState{Fault: f, since: time.Now()}, time.Now()) {
		t.Fatal("a periodic stall starts at once")
	}
	since := time.Now().Add(-time.Second)
	if !stalled(&faultState{Fault: f, since: since}, since.Add(1000*time.Millisecond)) ||
		stalled(&faultState{Fault: f, since: since}, since.Add(1300*time.Millisecond)) ||
		!stalled(&faultState{Fault: f, since: since}, since.Add(1850*time.Millisecond)) {
		t.Fatal("stall windows are not [k*every, k*every+for)")
	}
}

func TestJump(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	r, err := dial(t, s.URL(1, StreamMain))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "frames", func() bool { _, n := r.count(); return n > 5 })
	if err := s.SetFault("cam001", Fault{JumpBy: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	_, before := r.count()
	waitFor(t, 3*time.Second, "frames after the jump", func() bool { _, n := r.count(); return n > before+10 })
	_, aus, _, _ := r.snapshot()
	step := uint32(rtpClockRate / testMain.FPS)
	want := step + 10*60*rtpClockRate
	var jumps int
	for i := 1; i < len(aus); i++ {
		switch d := aus[i].ts - aus[i-1].ts; d {
		case step:
		case want:
			jumps++
		default:
			t.Fatalf("access unit %d: timestamp step %d", i, d)
		}
	}
	if jumps != 1 {
		t.Fatalf("%d jumps, want 1", jumps)
	}
}

func TestCorrupt(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) {
		c.Faults = map[string]Fault{"cam001": {CorruptRatio: 0.2}}
	})
	r, err := dial(t, s.URL(1, StreamMain))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "decode errors and frames", func() bool {
		_, aus, errs, _ := r.snapshot()
		return len(errs) >= 5 && len(aus) >= 20
	})
	if r.closed(0) {
		t.Fatal("corruption closed the session")
	}
	_, aus1 := r.count()
	waitFor(t, 3*time.Second, "the stream to continue", func() bool { _, n := r.count(); return n > aus1+5 })
	if st := s.Stats()[0].Main; st.CorruptedPackets == 0 || st.CorruptedPackets >= st.Packets {
		t.Fatalf("stats: %d corrupted of %d", st.CorruptedPackets, st.Packets)
	}
}

func TestClockOffsetInSenderReports(t *testing.T) {
	t.Parallel()
	const offset = -time.Hour - 1500*time.Millisecond
	s := startServer(t, func(c *Config) {
		c.Faults = map[string]Fault{"cam002": {ClockOffset: offset}}
	})
	for _, tc := range []struct {
		cam    int
		offset time.Duration
	}{{1, 0}, {2, offset}} {
		r, err := dial(t, s.URL(tc.cam, StreamMain))
		if err != nil {
			t.Fatal(err)
		}
		// the first report follows PLAY within a few frames
		waitFor(t, 2*time.Second, "a sender report", func() bool { _, _, _, srs := r.snapshot(); return len(srs) > 0 })
		packets, _, _, srs := r.snapshot()
		sr := srs[0]
		if sr.sr.SSRC == 0 || sr.sr.PacketCount == 0 {
			t.Fatalf("sender report %+v", sr.sr)
		}
		// the report maps an RTP timestamp already received to its capture time
		var arrival time.Time
		for _, p := range packets {
			if p.ts == sr.sr.RTPTime {
				arrival = p.at
			}
		}
		if arrival.IsZero() {
			t.Fatalf("sender report RTP time %d matches no received packet", sr.sr.RTPTime)
		}
		got := ntpToTime(sr.sr.NTPTime).Sub(arrival)
		if d := got - tc.offset; d < -100*time.Millisecond || d > 100*time.Millisecond {
			t.Fatalf("cam%d: sender report clock is %v from the arrival time, want %v", tc.cam, got, tc.offset)
		}

		// gortsplib v4.16.2's PacketNTP reads the fraction as nanoseconds (gortsplib#869):
		// only the whole seconds are right
		waitFor(t, 2*time.Second, "PacketNTP", func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.ntps) > 0 })
		r.mu.Lock()
		ntp := r.ntps[len(r.ntps)-1]
		r.mu.Unlock()
		if d := time.Until(ntp) - tc.offset; d < -time.Second || d > 4*time.Second {
			t.Fatalf("cam%d: PacketNTP is %v from now, want %v (+0..3.3 s)", tc.cam, time.Until(ntp), tc.offset)
		}
	}
}

func TestCodecFault(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) {
		c.Faults = map[string]Fault{"cam001": {Codec: "h265"}}
	})
	r, err := dial(t, s.URL(1, StreamMain))
	if err != errNotH264 {
		t.Fatalf("h265 camera: %v, want no H.264 media", err)
	}
	var h265 *format.H265
	if r.desc.FindFormat(&h265) == nil {
		t.Fatalf("h265 camera advertises %v", r.desc.Medias[0].Formats[0].Codec())
	}

	ok, err := dial(t, s.URL(1, StreamSub)) // nothing breaks when reading it anyway
	if err != errNotH264 || ok == nil {
		t.Fatalf("h265 sub stream: %v", err)
	}

	if err := s.SetFault("cam001", Fault{Codec: "mjpeg"}); err != nil {
		t.Fatal(err)
	}
	r, err = dial(t, s.URL(1, StreamMain))
	var mjpeg *format.MJPEG
	if err != errNotH264 || r.desc.FindFormat(&mjpeg) == nil {
		t.Fatalf("mjpeg camera: %v", err)
	}

	s.ClearFault("cam001")
	r, err = dial(t, s.URL(1, StreamMain))
	if err != nil {
		t.Fatalf("after clear: %v", err)
	}
	waitFor(t, 3*time.Second, "H.264 packets", func() bool { n, _ := r.count(); return n > 0 })
}

func TestSetFaultErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	if err := s.SetFault("cam003", Fault{Refuse: true}); err == nil {
		t.Fatal("fault on a camera that does not exist")
	}
	if err := s.SetFault("cam001", Fault{CorruptRatio: 2}); err == nil {
		t.Fatal("invalid fault accepted")
	}
	if _, err := dial(t, "rtsp://"+s.Addr()+"/cam009/main"); statusCode(err) != base.StatusNotFound {
		t.Fatalf("unknown camera: %v, want 404", err)
	}
	if _, err := dial(t, "rtsp://"+s.Addr()+"/cam001/third"); statusCode(err) != base.StatusNotFound {
		t.Fatalf("unknown stream: %v, want 404", err)
	}
}

func TestIdleStreamSendsNothing(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	time.Sleep(1500 * time.Millisecond)
	for _, st := range s.Stats() {
		if st.Main.Packets != 0 || st.Sub.Packets != 0 || st.Main.WriteErrors != 0 {
			t.Fatalf("idle camera sent: %+v", st)
		}
	}
	// a reader arriving later gets frames at once, with an IDR within a GOP
	r, err := dial(t, s.URL(2, StreamMain))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "an IDR", func() bool {
		_, aus, _, _ := r.snapshot()
		for _, au := range aus {
			if au.idr {
				return true
			}
		}
		return false
	})
}

func freeUDPPair(t *testing.T) (string, string) {
	t.Helper()
	for port := 20000 + os.Getpid()%10000*2; ; port += 2 {
		if port > 60000 {
			t.Skip("no free UDP port pair")
		}
		a, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		b, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port+1))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return "127.0.0.1:" + strconv.Itoa(port), "127.0.0.1:" + strconv.Itoa(port+1)
	}
}

func TestUDP(t *testing.T) {
	t.Parallel()
	var s *Server
	for attempt := 0; ; attempt++ {
		rtpAddr, rtcpAddr := freeUDPPair(t)
		s = &Server{Config: testConfig(t)}
		s.UDPRTPAddress, s.UDPRTCPAddress = rtpAddr, rtcpAddr
		err := s.Initialize()
		if err == nil {
			break
		}
		if attempt == 5 {
			t.Fatal(err)
		}
	}
	t.Cleanup(s.Close)
	r, err := dial(t, s.URL(1, StreamMain), readerOpts{transport: gortsplib.TransportUDP})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 4*time.Second, "frames over UDP", func() bool { _, n := r.count(); return n > 30 })
	if tr := r.c.Stats(); tr == nil {
		t.Fatal("no client stats")
	}
}

func TestClipCacheReused(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "calls")
	wrapper := filepath.Join(dir, "ffmpeg-wrapper")
	script := "#!/bin/sh\necho x >> '" + counter + "'\nexec ffmpeg \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	calls := func() int {
		b, _ := os.ReadFile(counter)
		return strings.Count(string(b), "x")
	}
	clipDir := filepath.Join(dir, "clips")
	spec := StreamSpec{Width: 176, Height: 144, FPS: 10, GOP: time.Second, Bitrate: 200_000}
	newServer := func() *Server {
		s := &Server{Config: testConfig(t)}
		s.ClipDir, s.FFmpeg = clipDir, wrapper
		s.Main, s.Sub = spec, StreamSpec{Width: 96, Height: 64, FPS: 5, GOP: time.Second, Bitrate: 64_000}
		s.Cameras = 1
		return s
	}

	// two servers racing on an empty cache: each clip is generated once
	s1, s2 := newServer(), newServer()
	errs := make(chan error, 2)
	go func() { errs <- s1.Initialize() }()
	go func() { errs <- s2.Initialize() }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s1.Close()
	s2.Close()
	if n := calls(); n != 2 {
		t.Fatalf("ffmpeg ran %d times for 2 clips", n)
	}
	path := filepath.Join(clipDir, ClipFileName("main", spec, testClipSeconds))
	st1, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	s3 := newServer()
	s3.FFmpeg = filepath.Join(dir, "no-such-ffmpeg")
	if err := s3.Initialize(); err != nil {
		t.Fatalf("cached clips: %v", err)
	}
	s3.Close()
	st2, _ := os.Stat(path)
	if calls() != 2 || !st2.ModTime().Equal(st1.ModTime()) {
		t.Fatal("the cached clip was regenerated")
	}
	if entries, _ := filepath.Glob(filepath.Join(clipDir, "*.tmp-*")); len(entries) != 0 {
		t.Fatalf("temporary files left: %v", entries)
	}

	// a truncated cache file is detected and regenerated
	if err := os.Truncate(path, st1.Size()/2); err != nil {
		t.Fatal(err)
	}
	s4 := newServer()
	if err := s4.Initialize(); err != nil {
		t.Fatal(err)
	}
	s4.Close()
	if calls() != 3 {
		t.Fatalf("ffmpeg calls %d after truncation, want 3", calls())
	}
}

func TestGenerateClips(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	paths, err := GenerateClips(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || !strings.HasPrefix(filepath.Base(paths[0]), "main_320x180_25fps_25gop_800k_50f_") ||
		!strings.HasPrefix(filepath.Base(paths[1]), "sub_160x90_5fps_5gop_128k_10f_") {
		t.Fatalf("paths %v", paths)
	}
	c, err := loadClip(paths[0], testMain, clipFrames(testMain, testClipSeconds))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.idrs) != 2 || c.idrs[0] != 0 || c.idrs[1] != 25 {
		t.Fatalf("IDRs at %v", c.idrs)
	}
	// CBR at about the requested rate (filler included)
	rate := c.bytes * 8 * testMain.FPS / len(c.aus)
	if rate < testMain.Bitrate*8/10 || rate > testMain.Bitrate*13/10 {
		t.Fatalf("clip bit rate %d, want about %d", rate, testMain.Bitrate)
	}
	if _, err := GenerateClips(t.Context(), Config{Main: testMain}); err == nil {
		t.Fatal("invalid sub spec accepted")
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	// not parallel: it counts the process's goroutines
	before := runtime.NumGoroutine()
	func() {
		s := &Server{Config: testConfig(t)}
		s.ControlListen = "127.0.0.1:0"
		if err := s.Initialize(); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		r, err := dial(t, s.URL(1, StreamMain))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "packets", func() bool { n, _ := r.count(); return n > 0 })
		if err := s.SetFault("cam002", Fault{Codec: "h265"}); err != nil {
			t.Fatal(err)
		}
		if _, err := dial(t, s.URL(2, StreamMain)); err != errNotH264 {
			t.Fatal(err)
		}
		s.Close()
		if !r.closed(3 * time.Second) {
			t.Fatal("Close left a session open")
		}
		r.close()
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		after := runtime.NumGoroutine()
		if after <= before {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, after, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInitializeErrors(t *testing.T) {
	t.Parallel()
	s := &Server{Config: testConfig(t)}
	s.Cameras = 0
	if err := s.Initialize(); err == nil || !strings.Contains(err.Error(), "Cameras") {
		t.Fatalf("err = %v", err)
	}
	s.Close() // safe after a failed Initialize

	a := startServer(t, nil)
	b := &Server{Config: testConfig(t)}
	b.Listen = a.Addr()
	if err := b.Initialize(); err == nil {
		t.Fatal("two servers on one port")
	}
	b.Close()
}
