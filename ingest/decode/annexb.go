package decode

import (
	"bytes"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// SplitAnnexB splits an Annex-B H.264 byte stream whose access units each
// start with an access unit delimiter (as the simulator's clips and most
// encoders with AUDs on write them) into access units, dropping the AUDs.
// It is for clips and tests, not for camera input. The stream is cut at
// the delimiters first (a start code cannot occur inside a NAL unit), so
// that a long clip is not parsed as one oversized unit.
func SplitAnnexB(buf []byte) ([][][]byte, error) {
	var aus [][][]byte
	for _, chunk := range splitAtDelimiters(buf) {
		var nalus h264.AnnexB
		if err := nalus.Unmarshal(chunk); err != nil {
			return nil, fmt.Errorf("access unit %d: %w", len(aus), err)
		}
		var au [][]byte
		for _, n := range nalus {
			if len(n) > 0 && h264.NALUType(n[0]&0x1f) != h264.NALUTypeAccessUnitDelimiter {
				au = append(au, n)
			}
		}
		if len(au) > 0 {
			aus = append(aus, au)
		}
	}
	if len(aus) == 0 {
		return nil, fmt.Errorf("no access units")
	}
	return aus, nil
}

// splitAtDelimiters cuts buf before every access unit delimiter's start
// code (3 or 4 bytes); what precedes the first is a chunk of its own.
func splitAtDelimiters(buf []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; ; {
		j := bytes.Index(buf[i:], []byte{0, 0, 1, byte(h264.NALUTypeAccessUnitDelimiter)})
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
