package segment

import (
	"encoding/binary"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/vigil-cctv/vigil/recorder/mp4box"
)

// checkHeader validates h and fills Width and Height from the SPS when unset.
func checkHeader(h *Header) error {
	if len(h.SPS) < 4 || h264.NALUType(h.SPS[0]&0x1f) != h264.NALUTypeSPS {
		return fmt.Errorf("header: missing or invalid SPS")
	}
	if len(h.PPS) < 1 || h264.NALUType(h.PPS[0]&0x1f) != h264.NALUTypePPS {
		return fmt.Errorf("header: missing or invalid PPS")
	}
	if len(h.SPS) > 0xffff || len(h.PPS) > 0xffff {
		return fmt.Errorf("header: SPS or PPS too long")
	}
	if len(h.Camera) > maxCameraLen {
		return fmt.Errorf("header: camera name longer than %d bytes", maxCameraLen)
	}
	if h.Width <= 0 || h.Height <= 0 {
		var sps h264.SPS
		if err := sps.Unmarshal(h.SPS); err != nil {
			return fmt.Errorf("header: no size given and SPS unreadable: %w", err)
		}
		h.Width, h.Height = sps.Width(), sps.Height()
	}
	if h.Width <= 0 || h.Height <= 0 || h.Width > 0xffff || h.Height > 0xffff {
		return fmt.Errorf("header: invalid size %dx%d", h.Width, h.Height)
	}
	return nil
}

// appendInit appends ftyp, moov and the Vigil stream box for h.
func appendInit(b []byte, h *Header) []byte {
	b, ftyp := mp4box.Start(b, "ftyp")
	b = append(b, "isom"...)
	b = binary.BigEndian.AppendUint32(b, 0x200)
	b = append(b, "isomiso6avc1mp41"...)
	mp4box.End(b, ftyp)

	b, moov := mp4box.Start(b, "moov")

	b, mvhd := mp4box.FullStart(b, "mvhd", 0, 0)
	b = mp4box.Zeros(b, 8) // creation, modification time
	b = binary.BigEndian.AppendUint32(b, 1000)
	b = mp4box.Zeros(b, 4) // duration: fragmented
	b = binary.BigEndian.AppendUint32(b, 0x00010000)
	b = binary.BigEndian.AppendUint16(b, 0x0100)
	b = mp4box.Zeros(b, 10)
	b = mp4box.Matrix(b)
	b = mp4box.Zeros(b, 24)
	b = binary.BigEndian.AppendUint32(b, 2) // next track ID
	mp4box.End(b, mvhd)

	b, trak := mp4box.Start(b, "trak")
	b, tkhd := mp4box.FullStart(b, "tkhd", 0, 3) // enabled, in movie
	b = mp4box.Zeros(b, 8)
	b = binary.BigEndian.AppendUint32(b, 1) // track ID
	b = mp4box.Zeros(b, 4+4+8+2+2+2+2)
	b = mp4box.Matrix(b)
	b = binary.BigEndian.AppendUint32(b, uint32(h.Width)<<16)
	b = binary.BigEndian.AppendUint32(b, uint32(h.Height)<<16)
	mp4box.End(b, tkhd)

	b, mdia := mp4box.Start(b, "mdia")
	b, mdhd := mp4box.FullStart(b, "mdhd", 0, 0)
	b = mp4box.Zeros(b, 8)
	b = binary.BigEndian.AppendUint32(b, TimeScale)
	b = mp4box.Zeros(b, 4)
	b = binary.BigEndian.AppendUint16(b, 0x55c4) // "und"
	b = mp4box.Zeros(b, 2)
	mp4box.End(b, mdhd)
	b = mp4box.VideoHandler(b)

	b, minf := mp4box.Start(b, "minf")
	b = mp4box.VideoMediaInfo(b)

	b, stbl := mp4box.Start(b, "stbl")
	b = mp4box.AVCSampleDescription(b, h.Width, h.Height, h.SPS, h.PPS)
	for _, typ := range []string{"stts", "stsc", "stco"} {
		var p int
		b, p = mp4box.FullStart(b, typ, 0, 0)
		b = mp4box.Zeros(b, 4)
		mp4box.End(b, p)
	}
	b, stsz := mp4box.FullStart(b, "stsz", 0, 0)
	b = mp4box.Zeros(b, 8)
	mp4box.End(b, stsz)
	mp4box.End(b, stbl)
	mp4box.End(b, minf)
	mp4box.End(b, mdia)
	mp4box.End(b, trak)

	b, mvex := mp4box.Start(b, "mvex")
	b, trex := mp4box.FullStart(b, "trex", 0, 0)
	b = binary.BigEndian.AppendUint32(b, 1) // track ID
	b = binary.BigEndian.AppendUint32(b, 1) // sample description index
	b = mp4box.Zeros(b, 12)
	mp4box.End(b, trex)
	mp4box.End(b, mvex)
	mp4box.End(b, moov)

	return appendStreamBox(b, h)
}
