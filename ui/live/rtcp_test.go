package live

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
)

func (s *Server) viewer(id string) *viewer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

func TestPLIResendsTheGOPAndNACKsAreServed(t *testing.T) {
	cams := startCameras(t, 1)
	srv, _ := newServer(t, cams.sup)
	c := view(t, srv, "cam001", "main", "alice", "l1", clientOptions{noReplay: true})
	waitFor(t, 10*time.Second, "frames", func() bool { f, _, _ := c.snapshot(); return f > 30 })
	v := srv.viewer(c.sess.ID)
	time.Sleep(pliInterval) // the first burst was at start

	// PLI: the cached GOP comes again at once, not at the camera's next IDR.
	bursts, _, _ := v.bursts.Load(), 0, 0
	_, keys, _ := c.snapshot()
	sent := time.Now()
	// The camera's own IDR (every second here) may reach the viewer before
	// the burst does, so the burst is waited for by its count, and then a
	// keyframe at the viewer.
	c.sendRTCP(&rtcp.PictureLossIndication{MediaSSRC: c.ssrc()})
	waitFor(t, 2*time.Second, "the cached GOP resent after PLI", func() bool { return v.bursts.Load() >= bursts+1 })
	waitFor(t, 2*time.Second, "a keyframe after PLI", func() bool { _, k, _ := c.snapshot(); return k > keys })
	took := time.Since(sent)
	if v.bursts.Load() != bursts+1 {
		t.Fatalf("bursts %d -> %d: one PLI answered more than once", bursts, v.bursts.Load())
	}
	if took > 500*time.Millisecond {
		t.Errorf("keyframe %v after PLI", took)
	}
	if got := testutil.ToFloat64(srv.m.keyframes); got < 1 {
		t.Fatalf("vigil_live_keyframe_requests_total = %v", got)
	}
	// A second PLI within a second is counted but not answered.
	c.sendRTCP(&rtcp.PictureLossIndication{MediaSSRC: c.ssrc()})
	waitFor(t, 2*time.Second, "second PLI counted", func() bool { return v.plis.Load() >= 2 })
	time.Sleep(100 * time.Millisecond)
	if v.bursts.Load() != bursts+1 {
		t.Fatalf("a PLI within %v was answered", pliInterval)
	}
	// Timestamps stayed monotonic through the burst.
	c.mu.Lock()
	for i := 1; i < len(c.ts); i++ {
		if int32(c.ts[i]-c.ts[i-1]) <= 0 {
			t.Errorf("timestamp %d after %d", c.ts[i], c.ts[i-1])
			break
		}
	}
	// NACK a packet already received: it comes again.
	seq := c.seqs[len(c.seqs)-10]
	c.mu.Unlock()
	c.sendRTCP(&rtcp.TransportLayerNack{MediaSSRC: c.ssrc(), Nacks: []rtcp.NackPair{{PacketID: seq}}})
	waitFor(t, 2*time.Second, "retransmission", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.receivedAt[seq] >= 2
	})
	if got := testutil.ToFloat64(srv.m.nacks); got != 1 {
		t.Fatalf("vigil_live_nacks_total = %v", got)
	}
	if got := testutil.ToFloat64(srv.m.retransmits); got != 1 {
		t.Fatalf("vigil_live_retransmitted_packets_total = %v", got)
	}
}

// stallProxy forwards ICE-TCP between a viewer and the server and can stop
// reading from the server, like a viewer on a link that stalled.
type stallProxy struct {
	ln     net.Listener
	target string
	paused atomic.Bool
	silent atomic.Bool // drop everything the viewer sends
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *stallProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		s.(*net.TCPConn).SetReadBuffer(64 << 10)
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if p.silent.Load() {
					continue // the viewer's packets vanish
				}
				if _, err := s.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 4096)
			for {
				for p.paused.Load() {
					time.Sleep(10 * time.Millisecond)
				}
				n, err := s.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

func (p *stallProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.paused.Store(false)
	p.wg.Wait()
}

var candidateLine = regexp.MustCompile(`(?m)^a=candidate:.*\r?\n`)

// viaProxy keeps only the answer's IPv4 ICE-TCP candidate, pointed at the proxy.
func viaProxy(port int) func(string) string {
	return func(sdp string) string {
		done := false
		return candidateLine.ReplaceAllStringFunc(sdp, func(line string) string {
			f := strings.Fields(line)
			if done || len(f) < 8 || !strings.EqualFold(f[2], "tcp") || !strings.Contains(f[4], ".") {
				return ""
			}
			done = true
			f[4], f[5] = "127.0.0.1", fmt.Sprint(port)
			return strings.Join(f, " ") + "\r\n"
		})
	}
}

func TestStalledViewerDoesNotSlowAnother(t *testing.T) {
	cams := startCameras(t, 1, func(c *sim.Config) { c.Main.Bitrate = 3_000_000 })
	srv, _ := newServer(t, cams.sup)
	proxy := newStallProxy(t, fmt.Sprintf("127.0.0.1:%d", srv.TCPAddr().(*net.TCPAddr).Port))

	slow := view(t, srv, "cam001", "main", "alice", "l1", clientOptions{tcpOnly: true, munge: viaProxy(proxy.ln.Addr().(*net.TCPAddr).Port)})
	fast := view(t, srv, "cam001", "main", "bob", "l2", clientOptions{})
	waitFor(t, 15*time.Second, "both viewers get frames", func() bool {
		a, _, _ := slow.snapshot()
		b, _, _ := fast.snapshot()
		return a > 10 && b > 10
	})
	sv, fv := srv.viewer(slow.sess.ID), srv.viewer(fast.sess.ID)

	proxy.paused.Store(true)
	from := time.Now()
	waitFor(t, 20*time.Second, "the stalled viewer drops frames", func() bool { return sv.dropped.Load() > 25 })
	took := time.Since(from)
	got := fast.framesSince(from)
	want := int(took.Seconds() * 25)
	if got < want*85/100 {
		t.Fatalf("the other viewer got %d frames in %v beside a stalled one; want ~%d", got, took.Round(time.Millisecond), want)
	}
	if fv.dropped.Load() != 0 {
		t.Fatalf("the other viewer dropped %d frames", fv.dropped.Load())
	}
	if v := testutil.ToFloat64(srv.m.dropped.WithLabelValues("cam001")); v < 25 {
		t.Fatalf("vigil_live_dropped_frames_total{cam001} = %v", v)
	}
	t.Logf("stalled for %v: other viewer %d frames (~%d expected), stalled viewer dropped %d", took.Round(time.Millisecond), got, want, sv.dropped.Load())

	// Resumed, the stalled viewer recovers from a keyframe.
	proxy.paused.Store(false)
	_, keys, _ := slow.snapshot()
	waitFor(t, 15*time.Second, "the stalled viewer recovers", func() bool { _, k, _ := slow.snapshot(); return k > keys+1 })
}

func TestSilentViewerTimesOut(t *testing.T) {
	cams := startCameras(t, 1)
	srv, _ := newServer(t, cams.sup)
	proxy := newStallProxy(t, fmt.Sprintf("127.0.0.1:%d", srv.TCPAddr().(*net.TCPAddr).Port))
	c := view(t, srv, "cam001", "main", "alice", "l1", clientOptions{tcpOnly: true, munge: viaProxy(proxy.ln.Addr().(*net.TCPAddr).Port)})
	waitFor(t, 10*time.Second, "frames", func() bool { f, _, _ := c.snapshot(); return f > 5 })
	// The viewer's machine goes away: nothing from it reaches the server.
	proxy.silent.Store(true)
	proxy.paused.Store(true)
	start := time.Now()
	waitFor(t, 20*time.Second, "the silent viewer's session to end", func() bool { return srv.Count() == 0 })
	took := time.Since(start)
	t.Logf("silent viewer cleaned up after %v", took.Round(time.Millisecond))
	if took > 15*time.Second {
		t.Fatalf("took %v, want within 15 s", took)
	}
}
