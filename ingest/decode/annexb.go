package decode

import (
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// SplitAnnexB splits an Annex-B H.264 byte stream whose access units each
// start with an access unit delimiter (as the simulator's clips and most
// encoders with AUDs on write them) into access units, dropping the AUDs.
// It is for clips and tests, not for camera input.
func SplitAnnexB(buf []byte) ([][][]byte, error) {
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(buf); err != nil {
		return nil, err
	}
	var aus [][][]byte
	var cur [][]byte
	for _, n := range nalus {
		if len(n) == 0 {
			continue
		}
		if h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter {
			if len(cur) > 0 {
				aus = append(aus, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, n)
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	if len(aus) == 0 {
		return nil, fmt.Errorf("no access units")
	}
	return aus, nil
}
