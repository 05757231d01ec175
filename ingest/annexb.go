package ingest

import "bytes"

// SplitAtDelimiters cuts an Annex-B H.264 stream before every access unit
// delimiter's start code (3 or 4 bytes), giving one chunk per access unit
// for streams that delimit them (the simulator's clips); what precedes the
// first delimiter is a chunk of its own. A start code cannot occur inside
// a NAL unit (emulation prevention), so the cut is exact. It is for clips
// and tests, not for camera input.
func SplitAtDelimiters(buf []byte) [][]byte {
	const aud = 9 // access unit delimiter NAL unit, nal_ref_idc 0
	var out [][]byte
	start := 0
	for i := 0; ; {
		j := bytes.Index(buf[i:], []byte{0, 0, 1, aud})
		if j < 0 {
			break
		}
		p := i + j
		if p > 0 && buf[p-1] == 0 {
			p-- // 4-byte start code
		}
		if p > start {
			out = append(out, buf[start:p])
		}
		start, i = p, i+j+4
	}
	if start < len(buf) {
		out = append(out, buf[start:])
	}
	return out
}
