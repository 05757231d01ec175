package decode

import (
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/vigil-cctv/vigil/ingest"
)

// SplitAnnexB splits an Annex-B H.264 byte stream whose access units each
// start with an access unit delimiter (as the simulator's clips and most
// encoders with AUDs on write them) into access units, dropping the AUDs.
// It is for clips and tests, not for camera input. The stream is cut at
// the delimiters first (a start code cannot occur inside a NAL unit), so
// that a long clip is not parsed as one oversized unit.
func SplitAnnexB(buf []byte) ([][][]byte, error) {
	var aus [][][]byte
	for _, chunk := range ingest.SplitAtDelimiters(buf) {
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
