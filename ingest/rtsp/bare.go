package rtsp

import (
	"context"
	"errors"
	"fmt"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"
)

// ErrNoH264 is returned by ReadBare when the stream has no H.264 track.
var ErrNoH264 = errors.New("the stream has no H.264 track")

// ReadBare is the baseline of the ingest benchmark (cmd/ingestbench): the
// least a receiver must do to get whole H.264 access units out of an RTSP
// camera. It plays the H.264 track of url over TCP with a plain gortsplib
// client, depacketizes every RTP packet with gortsplib's rtph264 decoder and
// calls onAU with the access unit's payload size and whether it is a
// keyframe. Nothing else: no hub, no metrics, no timestamps, no session
// tracking, no error accounting (lost packets and malformed payloads are
// ignored; they show up as frames missing against what the camera sent).
//
// onAU runs on the client's read goroutine and must not keep the NALUs (it
// never sees them). ReadBare returns when the stream fails or ctx is
// cancelled (then with ctx's error).
func ReadBare(ctx context.Context, url string, onAU func(size int, keyframe bool)) error {
	u, err := base.ParseURL(url)
	if err != nil {
		return fmt.Errorf("invalid stream URL: %w", err)
	}
	if u.Scheme != "rtsp" {
		return fmt.Errorf("invalid stream URL: scheme %q, want rtsp", u.Scheme)
	}
	transport := gortsplib.TransportTCP
	c := &gortsplib.Client{
		Scheme:    u.Scheme,
		Host:      u.Host,
		Transport: &transport,
		// gortsplib logs these by default; the baseline stays silent.
		OnPacketsLost: func(uint64) {},
		OnDecodeError: func(error) {},
	}
	if err = c.Start2(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	defer c.Close()

	err = playBare(c, u, onAU)
	if err == nil {
		err = c.Wait()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func playBare(c *gortsplib.Client, u *base.URL, onAU func(int, bool)) error {
	desc, _, err := c.Describe(u)
	if err != nil {
		return err
	}
	var forma *format.H264
	medi := desc.FindFormat(&forma)
	if medi == nil {
		return ErrNoH264
	}
	if _, err = c.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return err
	}
	dec, err := forma.CreateDecoder()
	if err != nil {
		return err
	}
	c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		nalus, err := dec.Decode(pkt)
		if err != nil || len(nalus) == 0 {
			return // more packets needed, or a broken access unit
		}
		size := 0
		for _, n := range nalus {
			size += len(n)
		}
		onAU(size, h264.IsRandomAccess(nalus))
	})
	_, err = c.Play(nil)
	return err
}
