package live

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chromeOffer is the shape of Chromium's recvonly video offer (trimmed).
const chromeOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 108 109 127 125\r\nc=IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" +
	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
	"a=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n" +
	"a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n" +
	"a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n" +
	"a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n" +
	"a=rtpmap:108 H264/90000\r\na=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n" +
	"a=rtpmap:109 H264/90000\r\na=fmtp:109 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n" +
	"a=rtpmap:127 H264/90000\r\na=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n" +
	"a=rtpmap:125 H264/90000\r\na=fmtp:125 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f\r\n"

func TestChooseProfile(t *testing.T) {
	o, err := parseOffer(chromeOffer)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		camera []byte
		want   uint8
	}{
		{nil, 109},                      // unknown camera: 42e01f
		{[]byte{0x42, 0xc0, 0x1e}, 109}, // x264 constrained baseline: 42e01f
		{[]byte{0x42, 0x00, 0x1e}, 102}, // baseline: the offer's own 42001f
		{[]byte{0x4d, 0x00, 0x28}, 127}, // main
		{[]byte{0x64, 0x00, 0x28}, 125}, // high, by profile_idc
		{[]byte{0x6e, 0x00, 0x28}, 109}, // high 10: not offered, fall back
	} {
		if got := o.choose(c.camera).PayloadType; got != c.want {
			t.Errorf("camera %x: answered with %d, want %d", c.camera, got, c.want)
		}
	}
}

func TestBadOffersGetTypedErrors(t *testing.T) {
	srv, reg := newServer(t, hubMap{})
	audioOnly := strings.Replace(strings.Replace(chromeOffer, "m=video", "m=audio", 1), "96 97 102 103 108 109 127 125", "111", 1) +
		"a=rtpmap:111 opus/48000/2\r\n"
	vp8Only := strings.Replace(chromeOffer, "96 97 102 103 108 109 127 125", "96 97", 1)
	mode0Only := strings.Replace(chromeOffer, "96 97 102 103 108 109 127 125", "108", 1)
	sendonly := strings.Replace(chromeOffer, "a=recvonly", "a=sendonly", 1)
	for _, c := range []struct {
		name, offer string
		want        error
	}{
		{"empty", "", ErrBadOffer},
		{"garbage", "hello, I am not SDP", ErrBadOffer},
		{"json", `{"type":"offer","sdp":"v=0"}`, ErrBadOffer},
		{"huge", "v=0\r\n" + strings.Repeat("a=x\r\n", MaxOfferBytes/5+1), ErrBadOffer},
		{"audio only", audioOnly, ErrNoH264},
		{"vp8 only", vp8Only, ErrNoH264},
		{"h264 mode 0 only", mode0Only, ErrNoH264},
		{"video sendonly", sendonly, ErrNoH264},
		{"no camera", chromeOffer, ErrNoStream},
	} {
		_, err := srv.Start(context.Background(), Request{Camera: "nope", Stream: "main", User: "u", Login: "l", Offer: c.offer})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
	if srv.Count() != 0 {
		t.Fatalf("Count %d", srv.Count())
	}
	if n, _ := reg.Gather(); len(n) == 0 {
		t.Fatal("no metrics")
	}
}

func TestPionOfferIsAccepted(t *testing.T) {
	pc := newClientPC(t, false, false)
	defer pc.Close()
	o, err := parseOffer(offerFrom(t, pc))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.H264) == 0 {
		t.Fatal("no H.264 in pion's offer")
	}
}

// TestWriteFuzzSeeds keeps the seed corpus in testdata/fuzz/FuzzOffer.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_SEEDS") == "" {
		t.Skip("set VIGIL_WRITE_SEEDS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOffer")
	seeds := map[string]string{
		"chrome":  chromeOffer,
		"garbage": "hello",
		"audio":   strings.Replace(chromeOffer, "m=video", "m=audio", 1),
		"nofmtp":  "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 H264/90000\r\n",
		"badpt":   "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 999 x\r\na=rtpmap:999 H264/90000\r\na=fmtp:x profile-level-id=zz\r\n",
	}
	for name, s := range seeds {
		body := "go test fuzz v1\nstring(" + strconvQuote(s) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
