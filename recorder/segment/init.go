package segment

import (
	"encoding/binary"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
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
	b, ftyp := boxStart(b, "ftyp")
	b = append(b, "isom"...)
	b = binary.BigEndian.AppendUint32(b, 0x200)
	b = append(b, "isomiso6avc1mp41"...)
	boxEnd(b, ftyp)

	b, moov := boxStart(b, "moov")

	b, mvhd := fullBoxStart(b, "mvhd", 0, 0)
	b = appendZeros(b, 8) // creation, modification time
	b = binary.BigEndian.AppendUint32(b, 1000)
	b = appendZeros(b, 4) // duration: fragmented
	b = binary.BigEndian.AppendUint32(b, 0x00010000)
	b = binary.BigEndian.AppendUint16(b, 0x0100)
	b = appendZeros(b, 10)
	b = appendMatrix(b)
	b = appendZeros(b, 24)
	b = binary.BigEndian.AppendUint32(b, 2) // next track ID
	boxEnd(b, mvhd)

	b, trak := boxStart(b, "trak")
	b, tkhd := fullBoxStart(b, "tkhd", 0, 3) // enabled, in movie
	b = appendZeros(b, 8)
	b = binary.BigEndian.AppendUint32(b, 1) // track ID
	b = appendZeros(b, 4+4+8+2+2+2+2)
	b = appendMatrix(b)
	b = binary.BigEndian.AppendUint32(b, uint32(h.Width)<<16)
	b = binary.BigEndian.AppendUint32(b, uint32(h.Height)<<16)
	boxEnd(b, tkhd)

	b, mdia := boxStart(b, "mdia")
	b, mdhd := fullBoxStart(b, "mdhd", 0, 0)
	b = appendZeros(b, 8)
	b = binary.BigEndian.AppendUint32(b, TimeScale)
	b = appendZeros(b, 4)
	b = binary.BigEndian.AppendUint16(b, 0x55c4) // "und"
	b = appendZeros(b, 2)
	boxEnd(b, mdhd)
	b, hdlr := fullBoxStart(b, "hdlr", 0, 0)
	b = appendZeros(b, 4)
	b = append(b, "vide"...)
	b = appendZeros(b, 12)
	b = append(b, "VideoHandler\x00"...)
	boxEnd(b, hdlr)

	b, minf := boxStart(b, "minf")
	b, vmhd := fullBoxStart(b, "vmhd", 0, 1)
	b = appendZeros(b, 8)
	boxEnd(b, vmhd)
	b, dinf := boxStart(b, "dinf")
	b, dref := fullBoxStart(b, "dref", 0, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b, url := fullBoxStart(b, "url ", 0, 1) // media in this file
	boxEnd(b, url)
	boxEnd(b, dref)
	boxEnd(b, dinf)

	b, stbl := boxStart(b, "stbl")
	b, stsd := fullBoxStart(b, "stsd", 0, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b, avc1 := boxStart(b, "avc1")
	b = appendZeros(b, 6)
	b = binary.BigEndian.AppendUint16(b, 1) // data reference index
	b = appendZeros(b, 16)
	b = binary.BigEndian.AppendUint16(b, uint16(h.Width))
	b = binary.BigEndian.AppendUint16(b, uint16(h.Height))
	b = binary.BigEndian.AppendUint32(b, 0x00480000)
	b = binary.BigEndian.AppendUint32(b, 0x00480000)
	b = appendZeros(b, 4)
	b = binary.BigEndian.AppendUint16(b, 1) // frame count
	b = appendZeros(b, 32)                  // compressor name
	b = binary.BigEndian.AppendUint16(b, 0x0018)
	b = binary.BigEndian.AppendUint16(b, 0xffff)
	b, avcC := boxStart(b, "avcC")
	b = append(b, 1, h.SPS[1], h.SPS[2], h.SPS[3], 0xff, 0xe1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.SPS)))
	b = append(b, h.SPS...)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.PPS)))
	b = append(b, h.PPS...)
	boxEnd(b, avcC)
	boxEnd(b, avc1)
	boxEnd(b, stsd)
	for _, typ := range []string{"stts", "stsc", "stco"} {
		var p int
		b, p = fullBoxStart(b, typ, 0, 0)
		b = appendZeros(b, 4)
		boxEnd(b, p)
	}
	b, stsz := fullBoxStart(b, "stsz", 0, 0)
	b = appendZeros(b, 8)
	boxEnd(b, stsz)
	boxEnd(b, stbl)
	boxEnd(b, minf)
	boxEnd(b, mdia)
	boxEnd(b, trak)

	b, mvex := boxStart(b, "mvex")
	b, trex := fullBoxStart(b, "trex", 0, 0)
	b = binary.BigEndian.AppendUint32(b, 1) // track ID
	b = binary.BigEndian.AppendUint32(b, 1) // sample description index
	b = appendZeros(b, 12)
	boxEnd(b, trex)
	boxEnd(b, mvex)
	boxEnd(b, moov)

	return appendStreamBox(b, h)
}
