package live

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// MaxOfferBytes bounds the SDP offer Start accepts.
const MaxOfferBytes = 64 << 10

// fallbackProfileLevelID is constrained baseline level 3.1: every browser
// offers it, and they decode Main and High under it anyway.
const fallbackProfileLevelID = "42e01f"

// h264Offer is one H.264 payload type of the offer's video section.
type h264Offer struct {
	PayloadType uint8
	Fmtp        string
	// ProfileLevelID is the three bytes of profile-level-id (profile_idc,
	// constraint flags, level_idc); nil when absent or malformed.
	ProfileLevelID []byte
	Mode           int // packetization-mode
}

// offer is what Start needs of an SDP offer.
type offer struct {
	H264 []h264Offer // packetization-mode=1 only, in the offer's order
}

// parseOffer checks an SDP offer and lists its usable H.264 payload types.
// It is the only parser of outside input in this package (see FuzzOffer).
func parseOffer(s string) (*offer, error) {
	if len(s) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrBadOffer)
	}
	if len(s) > MaxOfferBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrBadOffer, len(s), MaxOfferBytes)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return nil, fmt.Errorf("%w: no media sections", ErrBadOffer)
	}
	o := &offer{}
	sawVideo, sawH264, sawMode0 := false, false, false
	for _, md := range sd.MediaDescriptions {
		if md == nil || !strings.EqualFold(md.MediaName.Media, "video") || md.MediaName.Port.Value == 0 {
			continue
		}
		if _, ok := md.Attribute("sendonly"); ok {
			continue
		}
		if _, ok := md.Attribute("inactive"); ok {
			continue
		}
		sawVideo = true
		rtpmaps := map[uint8]string{}
		fmtps := map[uint8]string{}
		for _, a := range md.Attributes {
			pt, rest, ok := splitPT(a.Value)
			if !ok {
				continue
			}
			switch a.Key {
			case "rtpmap":
				rtpmaps[pt] = rest
			case "fmtp":
				fmtps[pt] = rest
			}
		}
		for _, f := range md.MediaName.Formats {
			n, err := strconv.ParseUint(f, 10, 8)
			if err != nil {
				continue
			}
			pt := uint8(n)
			name, _, _ := strings.Cut(rtpmaps[pt], "/")
			if !strings.EqualFold(strings.TrimSpace(name), "H264") {
				continue
			}
			sawH264 = true
			h := h264Offer{PayloadType: pt, Fmtp: fmtps[pt]}
			for _, p := range strings.Split(h.Fmtp, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				switch strings.ToLower(k) {
				case "packetization-mode":
					h.Mode, _ = strconv.Atoi(v)
				case "profile-level-id":
					if b, err := hex.DecodeString(v); err == nil && len(b) == 3 {
						h.ProfileLevelID = b
					}
				}
			}
			if h.Mode != 1 {
				sawMode0 = true
				continue
			}
			o.H264 = append(o.H264, h)
		}
		if len(o.H264) > 0 {
			break // the first video section that can take H.264 is ours
		}
	}
	switch {
	case len(o.H264) > 0:
		return o, nil
	case !sawVideo:
		return nil, fmt.Errorf("%w: the offer has no video section that receives", ErrNoH264)
	case sawH264 && sawMode0:
		return nil, fmt.Errorf("%w: H.264 is offered only with packetization-mode=0", ErrNoH264)
	default:
		return nil, fmt.Errorf("%w: the video section offers other codecs only", ErrNoH264)
	}
}

// splitPT splits "96 H264/90000" into 96 and "H264/90000".
func splitPT(v string) (uint8, string, bool) {
	a, b, ok := strings.Cut(v, " ")
	if !ok {
		return 0, "", false
	}
	n, err := strconv.ParseUint(a, 10, 8)
	if err != nil {
		return 0, "", false
	}
	return uint8(n), strings.TrimSpace(b), true
}

// choose picks the payload type to answer with: the camera's own profile
// (profile_idc and constraint flags, then profile_idc alone) when the offer
// has it, else constrained baseline 42e01f, else baseline, else the first
// packetization-mode=1 H.264 of the offer. camera is the camera's three
// profile-level-id bytes, nil when unknown.
func (o *offer) choose(camera []byte) h264Offer {
	find := func(match func(p []byte) bool) (h264Offer, bool) {
		for _, h := range o.H264 {
			if h.ProfileLevelID != nil && match(h.ProfileLevelID) {
				return h, true
			}
		}
		return h264Offer{}, false
	}
	if len(camera) == 3 {
		if h, ok := find(func(p []byte) bool { return p[0] == camera[0] && p[1] == camera[1] }); ok {
			return h
		}
		// Baseline cameras are best answered as constrained baseline
		// (below); other profiles by the same profile_idc.
		if camera[0] != 0x42 {
			if h, ok := find(func(p []byte) bool { return p[0] == camera[0] }); ok {
				return h
			}
		}
	}
	fb, _ := hex.DecodeString(fallbackProfileLevelID)
	if h, ok := find(func(p []byte) bool { return p[0] == fb[0] && p[1] == fb[1] }); ok {
		return h
	}
	if h, ok := find(func(p []byte) bool { return p[0] == 0x42 }); ok {
		return h
	}
	return o.H264[0]
}
