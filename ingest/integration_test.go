package ingest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// startSim serves n small cameras on loopback with the given faults.
func startSim(t testing.TB, n int, faults map[string]sim.Fault, tune ...func(*sim.Config)) *sim.Server {
	return simtest.Start(t, n, append([]func(*sim.Config){func(c *sim.Config) { c.Faults = faults }}, tune...)...)
}

type rig struct {
	sup     *ingest.Supervisor
	store   *store.Store
	metrics *ingest.Metrics
	reg     *prometheus.Registry
}

func newRig(t testing.TB, readTimeout time.Duration) *rig {
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := prometheus.NewRegistry()
	m := ingest.NewMetrics(reg)
	sup := &ingest.Supervisor{
		Source: rtsp.Read,
		Defaults: ingest.Defaults{
			Transport:   "tcp",
			ReadTimeout: readTimeout,
			Backoff:     ingest.Backoff{Min: 200 * time.Millisecond, Max: time.Second},
		},
		Outages: st,
		Metrics: m,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	sup.Initialize()
	t.Cleanup(sup.Close)
	return &rig{sup: sup, store: st, metrics: m, reg: reg}
}

func simCamera(s *sim.Server, i int) ingest.Camera {
	return ingest.Camera{
		ID:      sim.CameraName(i),
		Enabled: true,
		Main:    ingest.Target{URL: s.URL(i, "main")},
		Sub:     ingest.Target{URL: s.URL(i, "sub")},
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func streamState(r *rig, cam, stream string) ingest.StreamStatus {
	st, _ := r.sup.Status(cam)
	for _, s := range st.Streams {
		if s.Stream == stream {
			return s
		}
	}
	return ingest.StreamStatus{}
}

func TestTwentyCamerasComeOnline(t *testing.T) {
	s := startSim(t, 20, nil)
	r := newRig(t, 5*time.Second)
	var cams []ingest.Camera
	for i := 1; i <= 20; i++ {
		cams = append(cams, simCamera(s, i))
	}
	r.sup.Apply(cams)

	waitFor(t, 30*time.Second, "40 streams online", func() bool {
		for _, c := range cams {
			if streamState(r, c.ID, "main").State != ingest.StateOnline || streamState(r, c.ID, "sub").State != ingest.StateOnline {
				return false
			}
		}
		return true
	})
	// Let rates settle, then check what an engineer would see.
	time.Sleep(4 * time.Second)
	for _, c := range cams {
		m, sub := streamState(r, c.ID, "main"), streamState(r, c.ID, "sub")
		if m.FPS < 15 || m.FPS > 35 || sub.FPS < 2 || sub.FPS > 8 {
			t.Errorf("%s fps main %.1f sub %.1f; want ~25 and ~5", c.ID, m.FPS, sub.FPS)
		}
		if m.Width != 320 || m.Height != 180 || m.Codec != "H264" {
			t.Errorf("%s main %dx%d %s", c.ID, m.Width, m.Height, m.Codec)
		}
		if m.KeyframeInterval < 0.9 || m.KeyframeInterval > 1.1 {
			t.Errorf("%s keyframe interval %.2fs, want 1s", c.ID, m.KeyframeInterval)
		}
		if m.BitrateBPS < 50_000 || m.LastFrame.IsZero() || !m.ClockFromCamera {
			t.Errorf("%s bitrate %.0f last frame %v clock from camera %v", c.ID, m.BitrateBPS, m.LastFrame, m.ClockFromCamera)
		}
		if m.Reconnects != 0 || m.CurrentOutage != nil {
			t.Errorf("%s had reconnects %d / outage %+v on a clean network", c.ID, m.Reconnects, m.CurrentOutage)
		}
	}
	if v := testutil.ToFloat64(r.metrics.Up.WithLabelValues("cam020", "sub")); v != 1 {
		t.Errorf("vigil_camera_up{cam020,sub} = %v", v)
	}
	if v := testutil.ToFloat64(r.metrics.Configured); v != 20 {
		t.Errorf("vigil_cameras_configured = %v", v)
	}
	outages, _ := r.store.ListOutages(context.Background(), "cam001", time.Time{}, time.Time{})
	if len(outages) != 0 {
		t.Errorf("outages on a clean start: %+v", outages)
	}
}

func TestKillAndRestoreCameraRecordsOutage(t *testing.T) {
	s := startSim(t, 2, nil)
	r := newRig(t, 5*time.Second)
	r.sup.Apply([]ingest.Camera{simCamera(s, 1), simCamera(s, 2)})
	waitFor(t, 15*time.Second, "cam001 online", func() bool { return streamState(r, "cam001", "main").State == ingest.StateOnline })
	time.Sleep(500 * time.Millisecond)

	killed := time.Now()
	if err := s.SetFault("cam001", sim.Fault{Refuse: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "cam001 offline", func() bool {
		st := streamState(r, "cam001", "main")
		return st.State != ingest.StateOnline && st.CurrentOutage != nil
	})
	time.Sleep(3 * time.Second)
	restored := time.Now()
	s.ClearFault("cam001")
	waitFor(t, 10*time.Second, "cam001 back online", func() bool { return streamState(r, "cam001", "main").State == ingest.StateOnline })

	st := streamState(r, "cam001", "main")
	if st.Reconnects != 1 || st.CurrentOutage != nil {
		t.Fatalf("after restore: reconnects %d, outage %+v", st.Reconnects, st.CurrentOutage)
	}
	outages, err := r.store.ListOutages(context.Background(), "cam001", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var main []ingest.Outage
	for _, o := range outages {
		if o.Stream == "main" {
			main = append(main, o)
		}
	}
	if len(main) != 1 || main[0].End == nil {
		t.Fatalf("want one closed outage of cam001/main, got %+v", outages)
	}
	o := main[0]
	real := restored.Sub(killed)
	got := o.End.Sub(o.Start)
	// The outage starts at the last frame before the kill and ends at the
	// first frame after the restore; reconnect backoff is at most 1.2 s
	// here, and -race on a loaded machine adds some slack.
	if got < real-500*time.Millisecond || got > real+2500*time.Millisecond {
		t.Fatalf("outage lasted %v; the camera was dead for %v", got, real)
	}
	if o.Start.Before(killed.Add(-time.Second)) || o.Start.After(killed.Add(500*time.Millisecond)) {
		t.Fatalf("outage starts %v, camera killed at %v", o.Start, killed)
	}
	if v := testutil.ToFloat64(r.metrics.Reconnects.WithLabelValues("cam001", "main")); v != 1 {
		t.Fatalf("vigil_ingest_reconnects_total = %v, want 1", v)
	}
	// The other camera did not notice.
	if other := streamState(r, "cam002", "main"); other.Reconnects != 0 || other.State != ingest.StateOnline {
		t.Fatalf("cam002 was disturbed: %+v", other)
	}
}

func TestFaultsAreSurvived(t *testing.T) {
	s := startSim(t, 4, map[string]sim.Fault{
		"cam001": {CorruptRatio: 0.05},
		"cam002": {JumpBy: 10 * time.Minute, JumpEvery: 2 * time.Second},
		"cam004": {ClockOffset: 3 * time.Second},
	})
	r := newRig(t, 2*time.Second)
	for i := 1; i <= 4; i++ {
		c := simCamera(s, i)
		c.Sub = ingest.Target{}
		r.sup.Upsert(c)
	}
	reader := r.sup.Hub("cam002", "main").Attach(ingest.ReaderOptions{Name: "test", Queue: 1024, Start: ingest.StartNow})
	defer reader.Close()

	// cam003 stalls for 4 s, longer than the 2 s read timeout: an outage
	// and a reconnect, then frames again.
	waitFor(t, 15*time.Second, "cam003 online", func() bool { return streamState(r, "cam003", "main").State == ingest.StateOnline })
	if err := s.SetFault("cam003", sim.Fault{StallFor: 4 * time.Second}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "cam003 stall detected and recovered", func() bool {
		st := streamState(r, "cam003", "main")
		return st.Reconnects >= 1 && st.State == ingest.StateOnline
	})
	waitFor(t, 10*time.Second, "decode errors counted on cam001", func() bool {
		return streamState(r, "cam001", "main").DecodeErrors > 0
	})
	waitFor(t, 10*time.Second, "timestamp jumps counted on cam002", func() bool {
		return streamState(r, "cam002", "main").TimestampJumps >= 2
	})
	c1 := streamState(r, "cam001", "main")
	if c1.State != ingest.StateOnline || c1.FPS < 10 {
		t.Errorf("corrupt packets took cam001 down: %+v", c1)
	}
	// Timestamps seen by a reader stay monotonic through the jumps.
	var last time.Duration = -1
	deadline := time.After(2 * time.Second)
loop:
	for {
		select {
		case au := <-reader.C():
			if au.PTS <= last {
				t.Fatalf("PTS went from %v to %v", last, au.PTS)
			}
			last = au.PTS
		case <-deadline:
			break loop
		}
	}
	waitFor(t, 10*time.Second, "cam004 clock offset measured", func() bool {
		off := streamState(r, "cam004", "main").ClockOffset
		return off > 2.8 && off < 3.2
	})
	outages, _ := r.store.ListOutages(context.Background(), "cam003", time.Time{}, time.Time{})
	if len(outages) == 0 || !strings.Contains(outages[0].Reason, "timeout") && !strings.Contains(outages[0].Reason, "EOF") {
		t.Errorf("stall outage: %+v", outages)
	}
}

func TestBadCamerasGetClearStatus(t *testing.T) {
	s := startSim(t, 3, map[string]sim.Fault{
		"cam001": {User: "admin", Pass: "right"},
		"cam002": {Codec: "h265"},
	})
	r := newRig(t, 2*time.Second)
	bad := simCamera(s, 1)
	bad.Main.User, bad.Main.Pass = "admin", "wrong-password"
	bad.Sub = ingest.Target{}
	good := simCamera(s, 1)
	good.ID = "cam001-good"
	good.Main.User, good.Main.Pass = "admin", "right"
	good.Sub = ingest.Target{}
	h265 := simCamera(s, 2)
	h265.Sub = ingest.Target{}
	nowhere := ingest.Camera{ID: "nowhere", Enabled: true, Main: ingest.Target{URL: "rtsp://127.0.0.1:1/none"}}
	badPath := ingest.Camera{ID: "badpath", Enabled: true, Main: ingest.Target{URL: s.URL(3, "main") + "-nope"}}
	r.sup.Apply([]ingest.Camera{bad, good, h265, nowhere, badPath, simCamera(s, 3)})

	waitFor(t, 15*time.Second, "statuses settle", func() bool {
		return streamState(r, "cam001", "main").CurrentOutage != nil &&
			streamState(r, "cam001-good", "main").State == ingest.StateOnline &&
			streamState(r, "cam002", "main").State == ingest.StateUnsupported &&
			streamState(r, "nowhere", "main").CurrentOutage != nil &&
			streamState(r, "badpath", "main").CurrentOutage != nil &&
			streamState(r, "cam003", "main").State == ingest.StateOnline
	})
	if e := streamState(r, "cam001", "main").Error; !strings.Contains(e, "credentials") || strings.Contains(e, "wrong-password") {
		t.Errorf("bad credentials status: %q", e)
	}
	if e := streamState(r, "cam002", "main").Error; !strings.Contains(e, "unsupported codec") || !strings.Contains(e, "H265") {
		t.Errorf("h265 status: %q", e)
	}
	if e := streamState(r, "nowhere", "main").Error; !strings.Contains(e, "refused") {
		t.Errorf("unreachable status: %q", e)
	}
	if e := streamState(r, "badpath", "main").Error; e == "" {
		t.Errorf("wrong path gave no error")
	}
	// None of that disturbed the good camera.
	if st := streamState(r, "cam003", "main"); st.Reconnects != 0 {
		t.Errorf("cam003 reconnected %d times", st.Reconnects)
	}
	if v := testutil.ToFloat64(r.metrics.Outages.WithLabelValues("cam001", "main", "unauthorized")); v != 1 {
		t.Errorf("outages{reason=unauthorized} = %v (retries of a down camera are one outage)", v)
	}
}

func TestSlowReaderNeverStallsIngest(t *testing.T) {
	s := startSim(t, 1, nil)
	r := newRig(t, 5*time.Second)
	c := simCamera(s, 1)
	c.Sub = ingest.Target{}
	r.sup.Upsert(c)
	hub := r.sup.Hub("cam001", "main")
	stuck := hub.Attach(ingest.ReaderOptions{Name: "stuck", Queue: 4, Start: ingest.StartNow})
	defer stuck.Close()
	live := hub.Attach(ingest.ReaderOptions{Name: "live", Queue: 256, Start: ingest.StartNextKeyframe})
	defer live.Close()

	got := 0
	timeout := time.After(3 * time.Second)
loop:
	for {
		select {
		case <-live.C():
			got++
		case <-timeout:
			break loop
		}
	}
	if got < 50 {
		t.Fatalf("live reader got %d frames in 3 s beside a stuck reader; want ~75", got)
	}
	if stuck.Dropped() == 0 {
		t.Fatal("the stuck reader dropped nothing")
	}
	if v := testutil.ToFloat64(r.metrics.HubDropped.WithLabelValues("cam001", "main", "stuck")); v == 0 {
		t.Fatal("vigil_hub_dropped_frames_total{reader=stuck} is 0")
	}
	if live.Dropped() != 0 {
		t.Fatalf("the live reader dropped %d", live.Dropped())
	}
}

func TestEditingOneCameraLeavesOthersRunning(t *testing.T) {
	s := startSim(t, 3, nil)
	r := newRig(t, 5*time.Second)
	cams := []ingest.Camera{simCamera(s, 1), simCamera(s, 2), simCamera(s, 3)}
	r.sup.Apply(cams)
	waitFor(t, 15*time.Second, "online", func() bool { return streamState(r, "cam003", "sub").State == ingest.StateOnline })
	readers := r.sup.Hub("cam002", "main").Attach(ingest.ReaderOptions{Name: "rec", Start: ingest.StartNow})
	defer readers.Close()
	before := streamState(r, "cam001", "main").Frames

	// Disable cam002, point cam003's sub stream elsewhere, and add cam004.
	cams[1].Enabled = false
	cams[2].Sub.URL = s.URL(1, "sub")
	r.sup.Apply(append(cams, ingest.Camera{ID: "cam004", Enabled: true, Main: ingest.Target{URL: s.URL(3, "main")}}))
	waitFor(t, 10*time.Second, "cam004 online", func() bool { return streamState(r, "cam004", "main").State == ingest.StateOnline })
	if st := streamState(r, "cam002", "main"); st.State != ingest.StateDisabled {
		t.Fatalf("disabled camera status %q", st.State)
	}
	m := streamState(r, "cam001", "main")
	if m.Reconnects != 0 || m.Frames <= before {
		t.Fatalf("cam001 was restarted by edits to other cameras: %+v", m)
	}
	// A disabled camera's hub keeps its readers for when it comes back.
	if n := r.sup.Hub("cam002", "main").Readers(); n != 1 {
		t.Fatalf("cam002 hub readers = %d after disabling", n)
	}
}

func TestNoGoroutineLeakAfterCamerasRemoved(t *testing.T) {
	s := startSim(t, 10, nil)
	r := newRig(t, 5*time.Second)
	settle := func() int {
		n := runtime.NumGoroutine()
		for range 40 {
			time.Sleep(100 * time.Millisecond)
			m := runtime.NumGoroutine()
			if m == n {
				break
			}
			n = m
		}
		return n
	}
	base := settle()
	var cams []ingest.Camera
	for i := 1; i <= 10; i++ {
		cams = append(cams, simCamera(s, i))
	}
	r.sup.Apply(cams)
	waitFor(t, 20*time.Second, "10 cameras online", func() bool {
		for _, c := range cams {
			if streamState(r, c.ID, "sub").State != ingest.StateOnline {
				return false
			}
		}
		return true
	})
	during := runtime.NumGoroutine()
	r.sup.Apply(nil)
	after := settle()
	if after > base+2 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines: %d before, %d with 10 cameras, %d after removing them\n%s", base, during, after, buf[:n])
	}
	if got := fmt.Sprint(r.sup.IDs()); got != "[]" {
		t.Fatalf("cameras left: %s", got)
	}
}

// freeUDPPair finds an even UDP port whose successor is free too (RTP and
// RTCP), for a simulator serving over UDP.
func freeUDPPair(t testing.TB) (string, string) {
	for range 50 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port &^ 1
		c.Close()
		a, err1 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		b, err2 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port+1))
		if a != nil {
			a.Close()
		}
		if b != nil {
			b.Close()
		}
		if err1 == nil && err2 == nil {
			return fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", port+1)
		}
	}
	t.Fatal("no free UDP port pair")
	return "", ""
}

func TestUDPTransport(t *testing.T) {
	s := startSim(t, 2, nil, func(c *sim.Config) {
		c.UDPRTPAddress, c.UDPRTCPAddress = freeUDPPair(t)
	})

	r := newRig(t, 5*time.Second)
	c := simCamera(s, 1)
	c.Main.Transport, c.Sub.Transport = "udp", "udp"
	r.sup.Upsert(c)
	reader := r.sup.Hub("cam001", "main").Attach(ingest.ReaderOptions{Name: "test", Queue: 256, Start: ingest.StartNextKeyframe})
	defer reader.Close()
	waitFor(t, 15*time.Second, "cam001 online over UDP", func() bool {
		return streamState(r, "cam001", "main").State == ingest.StateOnline && streamState(r, "cam001", "sub").State == ingest.StateOnline
	})
	// Access units alias RTP payloads (no copy on the hot path); that is
	// only safe while gortsplib gives each UDP packet its own buffer. Hold
	// a keyframe while more packets arrive.
	first := <-reader.C()
	want := make([][]byte, len(first.NALUs))
	for i, n := range first.NALUs {
		want[i] = append([]byte(nil), n...)
	}
	time.Sleep(time.Second)
	for i, n := range first.NALUs {
		if string(n) != string(want[i]) {
			t.Fatalf("NALU %d of a held access unit changed under the reader", i)
		}
	}
}

func TestShortStallCountsLostPacketsWithoutReconnect(t *testing.T) {
	s := startSim(t, 1, nil)
	r := newRig(t, 5*time.Second)
	c := simCamera(s, 1)
	c.Sub = ingest.Target{}
	r.sup.Upsert(c)
	waitFor(t, 15*time.Second, "online", func() bool { return streamState(r, "cam001", "main").State == ingest.StateOnline })
	if err := s.SetFault("cam001", sim.Fault{StallFor: 1500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "lost packets counted", func() bool { return streamState(r, "cam001", "main").PacketsLost > 0 })
	st := streamState(r, "cam001", "main")
	if st.Reconnects != 0 || st.State != ingest.StateOnline {
		t.Fatalf("a 1.5 s stall under a 5 s read timeout must not reconnect: %+v", st)
	}
	if v := testutil.ToFloat64(r.metrics.PacketsLost.WithLabelValues("cam001", "main")); v != float64(st.PacketsLost) {
		t.Fatalf("vigil_ingest_rtp_packets_lost_total = %v, status says %d", v, st.PacketsLost)
	}
}
