package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ui/live"
)

// Targets (issue 6).
const (
	targetPerCore = 100
	targetP99     = 50 * time.Millisecond
	targetTTFFP95 = 500 * time.Millisecond
)

type starter func(ctx context.Context, i int, offer string) (string, error)

type hubs map[string]*ingest.Hub

func (h hubs) Hub(camera, stream string) *ingest.Hub { return h[camera+"/"+stream] }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru) //nolint:errcheck
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}

// newLive starts our server on hub.
func newLive(hub *ingest.Hub) (*live.Server, error) {
	s := &live.Server{Hubs: hubs{hub.Camera + "/main": hub}, Logger: quiet(),
		Config: live.Config{MaxViewers: 5000, MaxViewersPerUser: 5000, TCPPort: -1}}
	return s, s.Initialize()
}

// newNaive starts the baseline server on hub, with the same ICE setup.
func newNaive(hub *ingest.Hub) (*naive, func(), error) {
	mux, err := ice.NewMultiUDPMuxFromPort(0, ice.UDPMuxFromPortWithLoopback(), ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4))
	if err != nil {
		return nil, nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEUDPMux(mux)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	n := &naive{hub: hub, se: se}
	return n, func() { n.close(); mux.Close() }, nil
}

type step struct {
	side         string
	n            int
	cores        float64
	childCores   float64
	expected     uint64
	lost         uint64 // summed over viewers
	lossyViewers int
}

// measureStep runs n child viewers against start for one window.
func measureStep(o options, side string, n int, pub *publisher, start starter) (step, error) {
	st := step{side: side, n: n}
	cmd := exec.Command(os.Args[0], "-viewers-child", "-n", fmt.Sprint(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return st, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return st, err
	}
	if err := cmd.Start(); err != nil {
		return st, err
	}
	defer cmd.Process.Kill() //nolint:errcheck // after Wait, a no-op
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	began := time.Now()
	// All offers first: the child prints them before it reads any answer.
	offers := make([]string, 0, n)
	for len(offers) < n && lines.Scan() {
		f := strings.Fields(lines.Text())
		if len(f) != 3 || f[0] != "offer" {
			return st, fmt.Errorf("child: %q", lines.Text())
		}
		sdp, _ := base64.StdEncoding.DecodeString(f[2])
		offers = append(offers, string(sdp))
	}
	if len(offers) < n {
		return st, fmt.Errorf("child gave %d offers of %d", len(offers), n)
	}
	for i, sdp := range offers {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		answer, err := start(ctx, i, sdp)
		cancel()
		if err != nil {
			return st, fmt.Errorf("%s viewer %d: %w", side, i, err)
		}
		fmt.Fprintf(stdin, "answer %d %s\n", i, base64.StdEncoding.EncodeToString([]byte(answer)))
	}
	time.Sleep(o.warmup)
	fmt.Fprintln(stdin, "mark")
	c0, p0, t0 := cpuNow(), pub.count.Load(), time.Now()
	time.Sleep(o.window)
	c1, p1, t1 := cpuNow(), pub.count.Load(), time.Now()
	fmt.Fprintln(stdin, "report")
	var got []uint64
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "report "); ok {
			if err := json.Unmarshal([]byte(rest), &got); err != nil {
				return st, err
			}
			break
		}
	}
	fmt.Fprintln(stdin, "quit")
	if err := cmd.Wait(); err != nil {
		return st, fmt.Errorf("child: %w", err)
	}
	if ps := cmd.ProcessState; ps != nil {
		st.childCores = (ps.UserTime() + ps.SystemTime()).Seconds() / time.Since(began).Seconds()
	}
	st.cores = (c1 - c0).Seconds() / t1.Sub(t0).Seconds()
	st.expected = p1 - p0
	for _, g := range got {
		// The child's mark and report come a moment after ours: one frame of slack.
		if g+1 < st.expected {
			st.lost += st.expected - 1 - g
			st.lossyViewers++
		}
	}
	if len(got) != n {
		return st, fmt.Errorf("child reported %d viewers of %d", len(got), n)
	}
	return st, nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func verdict(ok bool) string {
	if ok {
		return "[PASS]"
	}
	return "[FAIL]"
}

func bench(o options, phases []string) error {
	ctx := context.Background()
	c, err := loadClip(ctx, o.clips, o.size, o.bitrate, o.fps, o.gop)
	if err != nil {
		return err
	}
	fmt.Printf("\nlive benchmark: one camera %s %d fps %.1f Mbit/s GOP %v (real H.264 clip, %d frames), loopback UDP, %d CPUs\n",
		o.size, o.fps, float64(o.bitrate)/1e6, o.gop, len(c.aus), runtime.NumCPU())
	has := func(p string) bool { return slices.Contains(phases, p) }
	if has("cpu") {
		if err := cpuPhase(o, c); err != nil {
			return err
		}
	}
	if has("latency") {
		if err := latencyPhase(o, c); err != nil {
			return err
		}
	}
	if has("ttff") {
		if err := ttffPhase(o, c); err != nil {
			return err
		}
	}
	return nil
}

func cpuPhase(o options, c *clip) error {
	pub := newPublisher(c, "cam")
	pub.start()
	defer pub.close()
	var rows []step
	for _, n := range o.steps {
		srv, err := newLive(pub.hub)
		if err != nil {
			return err
		}
		ours, err := measureStep(o, "vigil", n, pub, func(ctx context.Context, i int, offer string) (string, error) {
			s, err := srv.Start(ctx, live.Request{Camera: "cam", Stream: "main", User: fmt.Sprint("u", i), Login: "l", Offer: offer})
			return s.Answer, err
		})
		srv.Close()
		if err != nil {
			return err
		}
		nv, closeNaive, err := newNaive(pub.hub)
		if err != nil {
			return err
		}
		base, err := measureStep(o, "naive", n, pub, func(ctx context.Context, _ int, offer string) (string, error) {
			return nv.start(ctx, offer)
		})
		closeNaive()
		if err != nil {
			return err
		}
		rows = append(rows, ours, base)
	}
	fmt.Printf("\n1. viewers per core (server process CPU over a %v window after %v warm-up; viewers in a child process)\n", o.window, o.warmup)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "viewers\tvigil cores\tvigil ms CPU/viewer/s\tvigil lost frames (viewers)\tnaive cores\tnaive lost frames (viewers)\tCPU ratio vigil/naive\tviewer process cores\t")
	best, bestCores := 0, 0.0
	for i := 0; i+1 < len(rows); i += 2 {
		a, b := rows[i], rows[i+1]
		ratio := 0.0
		if b.cores > 0 {
			ratio = a.cores / b.cores
		}
		fmt.Fprintf(tw, "%d\t%.3f\t%.2f\t%d (%d)\t%.3f\t%d (%d)\t%.2f\t%.2f / %.2f\t\n", a.n, a.cores, a.cores*1000/float64(a.n),
			a.lost, a.lossyViewers, b.cores, b.lost, b.lossyViewers, ratio, a.childCores, b.childCores)
		if a.lost == 0 && a.n > best {
			best, bestCores = a.n, a.cores
		}
	}
	tw.Flush()
	if best > 0 && bestCores > 0 {
		perCore := float64(best) / bestCores
		fmt.Printf("largest N without frame loss: %d viewers on %.3f cores = %.0f viewers per core  target >= %d  %s\n",
			best, bestCores, perCore, targetPerCore, verdict(perCore >= targetPerCore))
	} else {
		fmt.Printf("no step was free of frame loss  target >= %d viewers per core  [FAIL]\n", targetPerCore)
	}
	if runtime.NumCPU() <= 2 {
		fmt.Println("note: the viewer process shares this machine's cores; where it needs more than a core, lost frames may be the viewers' (the harness's) limit, not the server's")
	}
	return nil
}

// inProcViewer is a pion viewer in this process, recording frame arrivals.
type inProcViewer struct {
	pc     *webrtc.PeerConnection
	frames chan frameAt
}

type frameAt struct {
	ts  uint32
	idr bool
	at  time.Time
}

func newInProcViewer() (*inProcViewer, string, error) {
	pc, err := newViewerPC()
	if err != nil {
		return nil, "", err
	}
	v := &inProcViewer{pc: pc, frames: make(chan frameAt, 4096)}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go readFrames(tr, func(ts uint32, idr bool, at time.Time) {
			select {
			case v.frames <- frameAt{ts, idr, at}:
			default:
			}
		})
	})
	sdp, err := offerOf(pc)
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	return v, sdp, nil
}

func (v *inProcViewer) answer(sdp string) error {
	return v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
}

func latencyPhase(o options, c *clip) error {
	// The viewer attaches before the first frame, so the relay's RTP
	// timestamps are the publisher's PTS (90 kHz from 0).
	pub := newPublisher(c, "lat")
	srv, err := newLive(pub.hub)
	if err != nil {
		return err
	}
	defer srv.Close()
	v, offer, err := newInProcViewer()
	if err != nil {
		return err
	}
	defer v.pc.Close()
	s, err := srv.Start(context.Background(), live.Request{Camera: "lat", Stream: "main", User: "u", Login: "l", Offer: offer})
	if err != nil {
		return err
	}
	if err := v.answer(s.Answer); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond) // connect
	pub.start()
	var lat []time.Duration
	deadline := time.After(o.latencyFor)
loop:
	for {
		select {
		case f := <-v.frames:
			if at, ok := pub.published(int64(f.ts) / 90); ok {
				lat = append(lat, f.at.Sub(at))
			}
		case <-deadline:
			break loop
		}
	}
	pub.close()

	base := udpBaseline(c, o.latencyFor)
	p50, p99 := percentile(lat, .5), percentile(lat, .99)
	b50, b99 := percentile(base, .5), percentile(base, .99)
	fmt.Printf("\n2. latency added by the server, hub publish -> last RTP packet of the frame at the viewer (%d frames; baseline %d frames)\n", len(lat), len(base))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "side\tp50\tp99\t")
	fmt.Fprintf(tw, "vigil (relay + SRTP + ICE, pion viewer)\t%v\t%v\t\n", p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
	fmt.Fprintf(tw, "baseline: plain UDP loopback, same packets\t%v\t%v\t\n", b50.Round(10*time.Microsecond), b99.Round(10*time.Microsecond))
	tw.Flush()
	ratio := 0.0
	if b99 > 0 {
		ratio = float64(p99) / float64(b99)
	}
	fmt.Printf("ratio p99 vigil/UDP: %.1f   p99 %v  target < %v  %s\n", ratio, p99.Round(10*time.Microsecond), targetP99, verdict(len(lat) > 0 && p99 < targetP99))
	return nil
}

// udpBaseline sends each frame's packets (same sizes as our RTP packets,
// plus RTP header and SRTP tag) over loopback UDP at the frame rate and
// times send start -> last packet received.
func udpBaseline(c *clip, d time.Duration) []time.Duration {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil
	}
	defer rx.Close()
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		return nil
	}
	defer tx.Close()
	got := make(chan time.Time, 1)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, err := rx.Read(buf)
			if err != nil {
				return
			}
			if buf[0] == 1 && n > 0 { // last packet of a frame
				got <- time.Now()
			}
		}
	}()
	var out []time.Duration
	interval := time.Second / time.Duration(c.fps)
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		sizes := packetSizes(c.aus[i%len(c.aus)])
		start := time.Now()
		for j, sz := range sizes {
			p := make([]byte, sz)
			if j == len(sizes)-1 {
				p[0] = 1
			}
			tx.Write(p) //nolint:errcheck
		}
		select {
		case at := <-got:
			out = append(out, at.Sub(start))
		case <-time.After(time.Second):
		}
		time.Sleep(time.Until(start.Add(interval)))
	}
	return out
}

// packetSizes mirrors live's packetisation: NAL units up to 1180 bytes in
// one packet, larger ones in FU-A fragments; 12 bytes RTP + 10 SRTP tag.
func packetSizes(au [][]byte) []int {
	const max, over = 1180, 22
	var out []int
	for _, n := range au {
		if n[0]&0x1f == 9 {
			continue
		}
		if len(n) <= max {
			out = append(out, len(n)+over)
			continue
		}
		rest := len(n) - 1
		frags := (rest + max - 3) / (max - 2)
		per := (rest + frags - 1) / frags
		for ; rest > 0; rest -= per {
			out = append(out, min(per, rest)+2+over)
		}
	}
	return out
}

func ttffPhase(o options, c *clip) error {
	pub := newPublisher(c, "ttff")
	pub.start()
	defer pub.close()
	time.Sleep(o.gop + 200*time.Millisecond) // a GOP in the hub's cache

	measure := func(start func(offer string) (string, func(), error)) ([]time.Duration, error) {
		var out []time.Duration
		for range o.ttffViewers {
			v, offer, err := newInProcViewer()
			if err != nil {
				return nil, err
			}
			began := time.Now()
			answer, stop, err := start(offer)
			if err != nil {
				v.pc.Close()
				return nil, err
			}
			if err := v.answer(answer); err != nil {
				v.pc.Close()
				stop()
				return nil, err
			}
			timeout := time.After(5 * time.Second)
		wait:
			for {
				select {
				case f := <-v.frames:
					if f.idr {
						out = append(out, f.at.Sub(began))
						break wait
					}
				case <-timeout:
					out = append(out, 5*time.Second)
					break wait
				}
			}
			v.pc.Close()
			stop()
			// Spread the arrivals over the GOP, as real viewers are.
			time.Sleep(time.Duration(len(out)*137%400) * time.Millisecond)
		}
		return out, nil
	}
	srv, err := newLive(pub.hub)
	if err != nil {
		return err
	}
	ours, err := measure(func(offer string) (string, func(), error) {
		s, err := srv.Start(context.Background(), live.Request{Camera: "ttff", Stream: "main", User: "u", Login: "l", Offer: offer})
		return s.Answer, func() { srv.Stop(s.ID, "u") }, err //nolint:errcheck
	})
	srv.Close()
	if err != nil {
		return err
	}
	nv, closeNaive, err := newNaive(pub.hub)
	if err != nil {
		return err
	}
	base, err := measure(func(offer string) (string, func(), error) {
		a, err := nv.start(context.Background(), offer)
		return a, func() {}, err
	})
	closeNaive()
	if err != nil {
		return err
	}
	o50, o95 := percentile(ours, .5), percentile(ours, .95)
	b50, b95 := percentile(base, .5), percentile(base, .95)
	fmt.Printf("\n3. time to first frame, request -> first IDR frame received by a new viewer (%d viewers per side, GOP %v)\n", o.ttffViewers, o.gop)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "side\tp50\tp95\t")
	fmt.Fprintf(tw, "vigil (GOP cache)\t%v\t%v\t\n", o50.Round(time.Millisecond), o95.Round(time.Millisecond))
	fmt.Fprintf(tw, "baseline: naive, next keyframe\t%v\t%v\t\n", b50.Round(time.Millisecond), b95.Round(time.Millisecond))
	tw.Flush()
	ratio := 0.0
	if b95 > 0 {
		ratio = float64(o95) / float64(b95)
	}
	fmt.Printf("ratio p95 vigil/naive: %.2f   p95 %v  target < %v  %s\n", ratio, o95.Round(time.Millisecond), targetTTFFP95, verdict(o95 < targetTTFFP95))
	return nil
}
