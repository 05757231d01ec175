package live

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/ingest"
)

// encode makes a short H.264 clip with ffmpeg at test time and splits it
// into access units (NAL units without start codes).
func encode(t *testing.T, args ...string) (sps, pps []byte, aus [][][]byte) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	out := filepath.Join(t.TempDir(), "clip.h264")
	cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-f", "lavfi", "-i", "testsrc=size=160x96:rate=25", "-frames:v", "20", "-c:v", "libx264", "-pix_fmt", "yuv420p"}, args...),
		"-x264-params", "aud=1:repeat-headers=1", "-f", "h264", out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	raw, err := readFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var cur [][]byte
	for _, n := range splitAnnexB(raw) {
		switch n[0] & 0x1f {
		case 9:
			if len(cur) > 0 {
				aus = append(aus, cur)
			}
			cur = nil
			continue
		case 7:
			sps = n
		case 8:
			pps = n
		}
		cur = append(cur, n)
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	return sps, pps, aus
}

func isKey(au [][]byte) bool {
	for _, n := range au {
		if n[0]&0x1f == 5 {
			return true
		}
	}
	return false
}

func TestBFramesAreRefused(t *testing.T) {
	sps, pps, aus := encode(t, "-profile:v", "high", "-bf", "2", "-g", "10")
	if !inspectSPS(sps).bframes {
		t.Fatalf("SPS %x of a -bf 2 clip does not declare reordering", sps)
	}
	hub := &ingest.Hub{Camera: "bcam", Stream: "main"}
	sess := &ingest.Session{ID: uuid.New(), Camera: "bcam", Stream: "main", Codec: "H264", SPS: sps, PPS: pps}
	for i, au := range aus[:5] {
		hub.Publish(&ingest.AccessUnit{Session: sess, PTS: time.Duration(i) * 40 * time.Millisecond, Keyframe: isKey(au), NALUs: au, Received: time.Now()})
	}
	srv, _ := newServer(t, hubMap{"bcam/main": hub})
	_, err := srv.Start(context.Background(), Request{Camera: "bcam", Stream: "main", User: "u", Login: "l", Offer: chromeOffer})
	if !errors.Is(err, ErrBFrames) {
		t.Fatalf("got %v, want ErrBFrames", err)
	}
	t.Log(err)
	if v := testutil.ToFloat64(srv.m.sessions.WithLabelValues("bframes")); v != 1 {
		t.Fatalf("sessions_total{bframes} = %v", v)
	}
	waitFor(t, 5*time.Second, "relay detached", func() bool { return hub.Readers() == 0 })
}

func TestReorderedTimestampsEndTheViewers(t *testing.T) {
	sps, pps, aus := encode(t, "-profile:v", "baseline", "-g", "10")
	if inspectSPS(sps).bframes {
		t.Fatal("baseline SPS declares reordering")
	}
	hub := &ingest.Hub{Camera: "c", Stream: "main"}
	sess := &ingest.Session{ID: uuid.New(), Camera: "c", Stream: "main", Codec: "H264", SPS: sps, PPS: pps}
	pts := time.Duration(0)
	publish := func(i int) {
		au := aus[i%len(aus)]
		hub.Publish(&ingest.AccessUnit{Session: sess, PTS: pts, Keyframe: isKey(au), NALUs: au, Received: time.Now()})
	}
	for i := range 10 {
		publish(i)
		pts += 40 * time.Millisecond
	}
	srv, _ := newServer(t, hubMap{"c/main": hub})
	c := view(t, srv, "c", "main", "u", "l", clientOptions{})
	waitFor(t, 10*time.Second, "the cached GOP", func() bool { f, _, _ := c.snapshot(); return f >= 10 })
	c.mu.Lock()
	if got := nalTypes(c.firstTypes); got != "SPS,PPS,IDR" {
		t.Errorf("first frame %s", got)
	}
	c.mu.Unlock()
	pts -= 120 * time.Millisecond // a B-frame's presentation time
	publish(11)
	waitFor(t, 5*time.Second, "the viewer to be ended", func() bool { return srv.Count() == 0 })
	_, err := srv.Start(context.Background(), Request{Camera: "c", Stream: "main", User: "u", Login: "l", Offer: chromeOffer})
	if !errors.Is(err, ErrBFrames) {
		t.Fatalf("after reordering: %v, want ErrBFrames", err)
	}
}

func TestLimitsAndEndLogin(t *testing.T) {
	cams := startCameras(t, 1)
	srv, _ := newServer(t, cams.sup, func(s *Server) { s.MaxViewers, s.MaxViewersPerUser = 3, 2 })
	a1 := view(t, srv, "cam001", "main", "alice", "alice-1", clientOptions{})
	view(t, srv, "cam001", "sub", "alice", "alice-2", clientOptions{})
	_, err := srv.Start(context.Background(), Request{Camera: "cam001", Stream: "main", User: "alice", Login: "alice-1", Offer: chromeOffer})
	if !errors.Is(err, ErrUserFull) {
		t.Fatalf("alice's third view: %v", err)
	}
	b := view(t, srv, "cam001", "main", "bob", "bob-1", clientOptions{})
	_, err = srv.Start(context.Background(), Request{Camera: "cam001", Stream: "main", User: "carol", Login: "carol-1", Offer: chromeOffer})
	if !errors.Is(err, ErrServerFull) {
		t.Fatalf("fourth view on the server: %v", err)
	}
	t.Log("limits checked")
	if got := srv.Logins(); len(got) != 3 {
		t.Fatalf("Logins %v", got)
	}
	if n := srv.EndLogin("alice-2"); n != 1 {
		t.Fatalf("EndLogin ended %d", n)
	}
	if srv.Count() != 2 {
		t.Fatalf("Count %d", srv.Count())
	}
	// alice's other sign-in and bob are untouched and still receive.
	for _, c := range []*client{a1, b} {
		f, _, _ := c.snapshot()
		waitFor(t, 5*time.Second, "frames after EndLogin", func() bool { g, _, _ := c.snapshot(); return g > f+10 })
	}
	if v := testutil.ToFloat64(srv.m.sessions.WithLabelValues("user_full")) + testutil.ToFloat64(srv.m.sessions.WithLabelValues("server_full")); v != 2 {
		t.Fatalf("refusals counted %v", v)
	}
	t.Log("frames checked")
	if n := srv.EndLogin("nobody"); n != 0 {
		t.Fatalf("EndLogin(nobody) = %d", n)
	}
}

func TestVanishedViewerIsCleanedUpAndNothingLeaks(t *testing.T) {
	cams := startCameras(t, 1)
	hub := cams.sup.Hub("cam001", "main")
	readers := hub.Readers()
	before := settledGoroutines()

	srv := &Server{Hubs: cams.sup, Logger: quietLogger()}
	if err := srv.Initialize(); err != nil {
		t.Fatal(err)
	}
	var cs []*client
	for i := range 4 {
		c := view(t, srv, "cam001", "main", "u", "l", clientOptions{})
		_ = i
		cs = append(cs, c)
	}
	for _, c := range cs {
		waitFor(t, 10*time.Second, "frames", func() bool { f, _, _ := c.snapshot(); return f > 5 })
	}
	// A viewer vanishes without DELETE: its peer connection closes (DTLS
	// close_notify); see TestSilentViewerTimesOut for one that just goes quiet.
	cs[0].pc.Close()
	start := time.Now()
	waitFor(t, 5*time.Second, "the closed viewer's session to end", func() bool { return srv.Count() == 3 })
	t.Logf("closed peer cleaned up after %v", time.Since(start).Round(time.Millisecond))

	// The rest end by Stop and by Close.
	if err := srv.Stop(cs[1].sess.ID, "u"); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if srv.Count() != 0 {
		t.Fatalf("Count %d after Close", srv.Count())
	}
	if hub.Readers() != readers {
		t.Fatalf("hub readers %d, want %d", hub.Readers(), readers)
	}
	for _, c := range cs {
		c.pc.Close()
	}
	after := settledGoroutines()
	if after > before+2 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines %d before, %d after\n%s", before, after, bytes.TrimSpace(buf[:n]))
	}
}
