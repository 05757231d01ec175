package live

import (
	"strconv"
	"testing"
)

func strconvQuote(s string) string { return strconv.Quote(s) }

// FuzzOffer feeds random SDP to the offer parser: it must never panic, and
// what it accepts must name a packetization-mode=1 H.264 payload type.
func FuzzOffer(f *testing.F) {
	f.Add(chromeOffer)
	f.Add("v=0\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := parseOffer(s)
		if err != nil {
			return
		}
		if len(o.H264) == 0 {
			t.Fatal("accepted an offer without H.264")
		}
		for _, h := range o.H264 {
			if h.Mode != 1 {
				t.Fatalf("accepted packetization-mode %d", h.Mode)
			}
		}
		_ = o.choose([]byte{0x64, 0, 0x28})
		_ = o.choose(nil)
	})
}
