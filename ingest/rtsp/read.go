package rtsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/ingest"
)

// Read implements ingest.SourceFunc over gortsplib: it connects, plays the
// H.264 track and delivers access units into sink until the stream fails or
// ctx is cancelled.
func Read(ctx context.Context, t ingest.Target, sink ingest.Sink) error {
	u, err := parseTarget(t)
	if err != nil {
		return err
	}
	c := &gortsplib.Client{
		Scheme:        u.Scheme,
		Host:          u.Host,
		ReadTimeout:   t.ReadTimeout,
		OnPacketsLost: sink.PacketsLost,
		OnDecodeError: sink.DecodeError,
	}
	transport := gortsplib.TransportTCP
	if t.Transport == "udp" {
		transport = gortsplib.TransportUDP
	}
	c.Transport = &transport

	if err = c.Start2(); err != nil {
		return redact(err, t)
	}
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	defer c.Close()

	err = play(c, t, u, sink)
	if err == nil {
		err = c.Wait()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return redact(err, t)
}

func play(c *gortsplib.Client, t ingest.Target, u *base.URL, sink ingest.Sink) error {
	desc, _, err := c.Describe(u)
	if err != nil {
		var bad liberrors.ErrClientBadStatusCode
		if errors.As(err, &bad) && bad.Code == base.StatusUnauthorized {
			return ingest.ErrUnauthorized
		}
		return err
	}
	var forma *format.H264
	medi := desc.FindFormat(&forma)
	if medi == nil {
		return &ingest.UnsupportedCodecError{Codecs: videoCodecs(desc)}
	}
	if _, err = c.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return err
	}
	asm, err := newAssembler(t.Camera, t.Stream, forma.SPS, forma.PPS)
	if err != nil {
		return err
	}
	sink.SessionStarted(asm.session)
	clock := &senderClock{}
	c.OnPacketRTCP(medi, func(pkt rtcp.Packet) {
		if sr, ok := pkt.(*rtcp.SenderReport); ok {
			clock.update(sr)
		}
	})
	c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		nalus, ts, err := asm.push(pkt)
		switch {
		case errors.Is(err, errNeedMore), errors.Is(err, errAfterLoss):
			// A frame cut short by loss is counted as packets lost.
			return
		case err != nil:
			sink.DecodeError(err)
			return
		}
		au, changed := asm.accessUnit(nalus, ts, time.Now())
		if au.Discontinuity {
			clock.forget() // the camera's clock jumped: the last report no longer fits
		}
		if ntp, ok := clock.at(ts); ok {
			au.WallTime, au.WallFromSR = ntp, true
		}
		if changed {
			sink.SessionStarted(au.Session)
		}
		sink.AccessUnit(au)
	})
	_, err = c.Play(nil)
	return err
}

func parseTarget(t ingest.Target) (*base.URL, error) {
	u, err := base.ParseURL(t.URL)
	if err != nil {
		return nil, fmt.Errorf("invalid stream URL: %w", err)
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		return nil, fmt.Errorf("invalid stream URL: scheme %q, want rtsp or rtsps", u.Scheme)
	}
	if t.User != "" {
		u.User = url.UserPassword(t.User, t.Pass)
	}
	return u, nil
}

func videoCodecs(desc *description.Session) []string {
	var out []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			out = append(out, string(m.Type)+"/"+f.Codec())
		}
	}
	return out
}

// redact makes a failure readable for an operator and removes the camera
// password from its text: statuses and logs must never carry credentials.
func redact(err error, t ingest.Target) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("camera closed the connection: %w", err)
	}
	if t.Pass == "" || !strings.Contains(err.Error(), t.Pass) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), t.Pass, "xxxxx"))
}
