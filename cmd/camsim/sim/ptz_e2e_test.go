package sim

import (
	"image"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/decode"
)

// pictureReader decodes what an RTSP reader received, keeping the latest picture's luma.
type pictureReader struct {
	t    *testing.T
	r    *reader
	dec  *decode.Decoder
	next int // index of the next access unit to decode
	last []byte
	w, h int
	at   time.Time // when the latest picture's access unit arrived
}

func newPictureReader(t *testing.T, url string) *pictureReader {
	r, err := dial(t, url)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := decode.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dec.Close)
	return &pictureReader{t: t, r: r, dec: dec}
}

// poll decodes the access units that arrived since the last poll.
func (p *pictureReader) poll() {
	p.r.mu.Lock()
	aus := append([]recvAU(nil), p.r.aus[p.next:]...)
	p.next = len(p.r.aus)
	p.r.mu.Unlock()
	for _, au := range aus {
		f, err := p.dec.Decode(au.nalus)
		if err != nil || f == nil {
			continue
		}
		g := f.Gray()
		if g == nil {
			continue
		}
		p.w, p.h = g.Rect.Dx(), g.Rect.Dy()
		p.last = make([]byte, p.w*p.h)
		for y := range p.h {
			copy(p.last[y*p.w:(y+1)*p.w], g.Pix[y*g.Stride:])
		}
		p.at = au.at
	}
}

// mad is the mean absolute luma difference between the latest picture and the view at pos.
func (p *pictureReader) mad(pos PTZPosition) float64 {
	img := image.NewYCbCr(image.Rect(0, 0, p.w, p.h), image.YCbCrSubsampleRatio420)
	RenderPTZView(img, pos)
	var sum int
	for y := range p.h {
		for x := range p.w {
			d := int(p.last[y*p.w+x]) - int(img.Y[y*img.YStride+x])
			sum += max(d, -d)
		}
	}
	return float64(sum) / float64(p.w*p.h)
}

// waitShows waits for a picture that arrived after since and shows pos (and not other).
func (p *pictureReader) waitShows(since time.Time, pos, other PTZPosition) {
	p.t.Helper()
	const same, different = 12.0, 25.0 // mean luma error: encoding noise vs another view
	deadline := time.Now().Add(15 * time.Second)
	var mPos, mOther float64
	for time.Now().Before(deadline) {
		p.poll()
		if p.last != nil && p.at.After(since) {
			mPos, mOther = p.mad(pos), p.mad(other)
			if mPos < same && mOther > different {
				p.t.Logf("after %v: picture shows %+v (centre block %d): error %.1f, against %+v (block %d): %.1f", time.Since(deadline.Add(-15*time.Second)).Round(time.Millisecond),
					pos, PTZBlockAt(pos, 0.5, 0.5), mPos, other, PTZBlockAt(other, 0.5, 0.5), mOther)
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("no picture showing %+v within 15 s: latest error %.1f, against %+v: %.1f", pos, mPos, other, mOther)
}

// TestPTZPictureFollowsMoves reads a PTZ camera's main stream over RTSP, decodes it, steers the
// camera over ONVIF, and checks the decoded picture is the view the new position predicts.
func TestPTZPictureFollowsMoves(t *testing.T) {
	s := startONVIF(t, nil)
	c := newONVIFClient(t, s.ONVIFURL(2), "", "", authNone)
	p := newPictureReader(t, s.URL(2, StreamMain))

	home := PTZPosition{}
	target := PTZPosition{Pan: 0.6, Tilt: -0.5, Zoom: 0.5}
	p.waitShows(time.Time{}, home, target)

	c.ok(onvifPTZPath, ptzOp("AbsoluteMove", ptzVec("Position", target.Pan, target.Tilt, target.Zoom)), nil)
	if st := c.waitIdle(5 * time.Second); !st.at(target.Pan, target.Tilt, target.Zoom) {
		t.Fatalf("after AbsoluteMove: %+v", st)
	}
	p.waitShows(time.Now(), target, home)

	// pan left for 0.4 s: the picture follows to where GetStatus says the camera stopped
	c.ok(onvifPTZPath, ptzOp("ContinuousMove", `<tptz:Velocity><tt:PanTilt x="-1" y="0"/></tptz:Velocity><tptz:Timeout>PT0.4S</tptz:Timeout>`), nil)
	left := c.waitIdle(5 * time.Second).pos()
	if left.Pan > target.Pan-0.3 || left.Tilt != target.Tilt || left.Zoom != target.Zoom {
		t.Fatalf("after panning left: %+v", left)
	}
	p.waitShows(time.Now(), left, target)
	if PTZBlockAt(left, 0.5, 0.5) >= PTZBlockAt(target, 0.5, 0.5) {
		t.Fatalf("panning left did not move the centre to a block further left")
	}
}
