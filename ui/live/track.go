package live

import (
	"strings"
	"sync"

	"github.com/pion/webrtc/v4"
)

// track is the viewer's outgoing video track. Unlike pion's static tracks
// it only remembers where to write: the viewer's writer builds each RTP
// header itself (its own sequence numbers and timestamps) around payloads
// packetised once per relay.
type track struct {
	id, streamID string

	mu     sync.Mutex
	bound  chan struct{}
	writer webrtc.TrackLocalWriter
	ssrc   uint32
	pt     uint8
}

func newTrack(id string) *track {
	return &track{id: id, streamID: "vigil", bound: make(chan struct{})}
}

// Bind picks the negotiated H.264 payload type.
func (t *track) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, webrtc.MimeTypeH264) {
			t.mu.Lock()
			defer t.mu.Unlock()
			if t.writer == nil {
				t.writer, t.ssrc, t.pt = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(c.PayloadType)
				close(t.bound)
			}
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

// Unbind is called when the sender stops; the writer notices the closed pipe.
func (t *track) Unbind(webrtc.TrackLocalContext) error { return nil }

func (t *track) ID() string                { return t.id }
func (t *track) RID() string               { return "" }
func (t *track) StreamID() string          { return t.streamID }
func (t *track) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeVideo }

// binding returns what Bind recorded; call after bound is closed.
func (t *track) binding() (webrtc.TrackLocalWriter, uint32, uint8) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.writer, t.ssrc, t.pt
}
