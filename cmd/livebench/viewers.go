package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// newViewerPC is a receive-only viewer with a browser-like offer, on loopback UDP.
func newViewerPC() (*webrtc.PeerConnection, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return nil, err
	}
	return pc, nil
}

func offerOf(pc *webrtc.PeerConnection) (string, error) {
	o, err := pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	g := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		return "", err
	}
	<-g
	return pc.LocalDescription().SDP, nil
}

// hasIDR tells whether an H.264 RTP payload carries (the start of) an IDR.
func hasIDR(p []byte) bool {
	if len(p) < 2 {
		return false
	}
	switch t := p[0] & 0x1f; t {
	case 5:
		return true
	case 28:
		return p[1]&0x1f == 5
	case 24:
		for b := p[1:]; len(b) > 2; {
			n := int(b[0])<<8 | int(b[1])
			if len(b) < 2+n || n == 0 {
				return false
			}
			if b[2]&0x1f == 5 {
				return true
			}
			b = b[2+n:]
		}
	}
	return false
}

// readFrames reads a track and calls onFrame at each frame's last packet.
func readFrames(tr *webrtc.TrackRemote, onFrame func(ts uint32, idr bool, at time.Time)) {
	idr := false
	var p rtp.Packet
	buf := make([]byte, 1500)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		idr = idr || hasIDR(p.Payload)
		if p.Marker {
			onFrame(p.Timestamp, idr, time.Now())
			idr = false
		}
	}
}

// runViewersChild is the viewer process of the viewers-per-core phase, so
// the viewers' CPU is not counted against the server. Protocol on
// stdout/stdin, one line each: it prints "offer I SDP64" for each viewer;
// then reads "answer I SDP64", "mark" (start counting), "report" (prints
// "report [frames per viewer since mark]") and "quit".
func runViewersChild(n int) error {
	out := bufio.NewWriter(os.Stdout)
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
		outMu.Unlock()
	}
	pcs := make([]*webrtc.PeerConnection, n)
	frames := make([]atomic.Uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		pc, err := newViewerPC()
		if err != nil {
			return err
		}
		pcs[i] = pc
		pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				readFrames(tr, func(uint32, bool, time.Time) { frames[i].Add(1) })
			}()
		})
		sdp, err := offerOf(pc)
		if err != nil {
			return err
		}
		say("offer %d %s", i, base64.StdEncoding.EncodeToString([]byte(sdp)))
	}
	mark := make([]uint64, n)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "answer":
			i, _ := strconv.Atoi(f[1])
			sdp, err := base64.StdEncoding.DecodeString(f[2])
			if err != nil || i < 0 || i >= n {
				return fmt.Errorf("bad answer line")
			}
			if err := pcs[i].SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(sdp)}); err != nil {
				return err
			}
		case "mark":
			for i := range mark {
				mark[i] = frames[i].Load()
			}
		case "report":
			got := make([]uint64, n)
			for i := range got {
				got[i] = frames[i].Load() - mark[i]
			}
			b, _ := json.Marshal(got)
			say("report %s", b)
		case "quit":
			for _, pc := range pcs {
				pc.Close()
			}
			wg.Wait()
			return nil
		}
	}
	return io.ErrUnexpectedEOF
}
