package live

import (
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// streamInfo is what live view needs to know of an ingest session's SPS.
type streamInfo struct {
	// profileLevelID is the SPS's profile_idc, constraint flags and
	// level_idc, nil when the SPS is missing or too short.
	profileLevelID []byte
	// bframes is set when the SPS declares picture reordering
	// (VUI bitstream_restriction max_num_reorder_frames > 0).
	bframes bool
	detail  string
}

// inspectSPS reads an SPS NAL unit. A Main or High profile SPS without
// bitstream restriction info may still carry B-frames; those are caught at
// run time when presentation times go backwards (relay.run). Many IP
// cameras send Main/High without B-frames and without that VUI field, so
// they are not refused on the profile alone.
func inspectSPS(nalu []byte) streamInfo {
	var si streamInfo
	if len(nalu) >= 4 {
		si.profileLevelID = []byte{nalu[1], nalu[2], nalu[3]}
	}
	if len(nalu) == 0 {
		return si
	}
	var sps h264.SPS
	if err := sps.Unmarshal(nalu); err != nil {
		return si
	}
	if sps.VUI != nil && sps.VUI.BitstreamRestriction != nil && sps.VUI.BitstreamRestriction.MaxNumReorderFrames > 0 {
		si.bframes = true
		si.detail = fmt.Sprintf("the SPS declares max_num_reorder_frames=%d (profile_idc %d)",
			sps.VUI.BitstreamRestriction.MaxNumReorderFrames, sps.ProfileIdc)
	}
	return si
}

// maxPayload is the largest RTP payload sent: leaves room for the RTP
// header, SRTP tag and IP/UDP (or ICE-TCP framing) under a 1280-byte path MTU.
const maxPayload = 1180

// packetize turns the NAL units of an access unit into RTP payloads
// (RFC 6184 packetization-mode 1): single NAL unit packets, which alias the
// access unit's NAL units (shared read-only, no copy), and FU-A fragments
// for larger ones. Access unit delimiters and filler data are left out. On a
// keyframe, the session's SPS and PPS go first when the access unit does not
// carry them in band.
func packetize(nalus [][]byte, keyframe bool, sps, pps []byte, out [][]byte) ([][]byte, int) {
	size := 0
	if keyframe {
		hasSPS, hasPPS := false, false
		for _, n := range nalus {
			if len(n) == 0 {
				continue
			}
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				hasSPS = true
			case h264.NALUTypePPS:
				hasPPS = true
			}
		}
		if !hasSPS && len(sps) > 0 {
			out = append(out, sps)
			size += len(sps)
		}
		if !hasPPS && len(pps) > 0 {
			out = append(out, pps)
			size += len(pps)
		}
	}
	for _, n := range nalus {
		if len(n) == 0 {
			continue
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeAccessUnitDelimiter, h264.NALUTypeFillerData:
			continue
		}
		if len(n) <= maxPayload {
			out = append(out, n)
			size += len(n)
			continue
		}
		indicator := n[0]&0xe0 | 28
		typ := n[0] & 0x1f
		data := n[1:]
		// Equal-sized fragments: one allocation for all of them.
		frags := (len(data) + maxPayload - 3) / (maxPayload - 2)
		per := (len(data) + frags - 1) / frags
		buf := make([]byte, len(data)+2*frags)
		for i := 0; len(data) > 0; i++ {
			k := min(per, len(data))
			p := buf[: 2+k : 2+k]
			buf = buf[2+k:]
			p[0] = indicator
			p[1] = typ
			if i == 0 {
				p[1] |= 0x80
			}
			if k == len(data) {
				p[1] |= 0x40
			}
			copy(p[2:], data[:k])
			data = data[k:]
			out = append(out, p)
			size += len(p)
		}
	}
	return out, size
}
