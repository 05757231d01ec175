package main

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/vigil-cctv/vigil/ingest"
)

// naive is the baseline: what a straightforward pion server does, each
// viewer with its own hub reader (from the next keyframe, no GOP cache) and
// its own TrackLocalStaticSample packetising every access unit itself, with
// pion's default codecs and interceptors.
type naive struct {
	hub *ingest.Hub
	se  webrtc.SettingEngine
	wg  sync.WaitGroup
	mu  sync.Mutex
	pcs []*webrtc.PeerConnection
	rs  []*ingest.Reader
}

func (n *naive) start(ctx context.Context, offer string) (string, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return "", err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return "", err
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(n.se), webrtc.WithInterceptorRegistry(ir))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, "video", "naive")
	if err != nil {
		return "", err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		return "", err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	r := n.hub.Attach(ingest.ReaderOptions{Name: "naive", Queue: 64, Start: ingest.StartNextKeyframe})
	n.mu.Lock()
	n.pcs, n.rs = append(n.pcs, pc), append(n.rs, r)
	n.mu.Unlock()
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	go func() {
		defer n.wg.Done()
		var buf bytes.Buffer
		for au := range r.C() {
			buf.Reset()
			for _, nalu := range au.NALUs {
				buf.Write([]byte{0, 0, 0, 1})
				buf.Write(nalu)
			}
			_ = track.WriteSample(media.Sample{Data: buf.Bytes(), Duration: 40 * time.Millisecond})
		}
	}()
	return pc.LocalDescription().SDP, nil
}

func (n *naive) close() {
	n.mu.Lock()
	for _, r := range n.rs {
		r.Close()
	}
	for _, pc := range n.pcs {
		pc.Close()
	}
	n.mu.Unlock()
	n.wg.Wait()
}
