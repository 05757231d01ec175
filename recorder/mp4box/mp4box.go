// Package mp4box appends ISO BMFF boxes: the primitives the segment writer
// and the playback MP4 writer share.
package mp4box

import "encoding/binary"

// Start appends a box header with a placeholder size and returns the
// position to patch with End.
func Start(b []byte, typ string) ([]byte, int) {
	p := len(b)
	return append(b, 0, 0, 0, 0, typ[0], typ[1], typ[2], typ[3]), p
}

// FullStart appends a full box header (version and flags).
func FullStart(b []byte, typ string, version byte, flags uint32) ([]byte, int) {
	b, p := Start(b, typ)
	return append(b, version, byte(flags>>16), byte(flags>>8), byte(flags)), p
}

// End patches the size of the box started at p.
func End(b []byte, p int) {
	binary.BigEndian.PutUint32(b[p:], uint32(len(b)-p))
}

// Zeros appends n zero bytes.
func Zeros(b []byte, n int) []byte {
	for range n {
		b = append(b, 0)
	}
	return b
}

// unityMatrix is the identity transformation of mvhd and tkhd.
var unityMatrix = [9]uint32{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000}

// Matrix appends the identity matrix.
func Matrix(b []byte) []byte {
	for _, v := range unityMatrix {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// VideoHandler appends the hdlr box of a video track.
func VideoHandler(b []byte) []byte {
	b, hdlr := FullStart(b, "hdlr", 0, 0)
	b = Zeros(b, 4)
	b = append(b, "vide"...)
	b = Zeros(b, 12)
	b = append(b, "VideoHandler\x00"...)
	End(b, hdlr)
	return b
}

// VideoMediaInfo appends a video track's vmhd and dinf (media in this file),
// the first boxes of its minf.
func VideoMediaInfo(b []byte) []byte {
	b, vmhd := FullStart(b, "vmhd", 0, 1)
	b = Zeros(b, 8)
	End(b, vmhd)
	b, dinf := Start(b, "dinf")
	b, dref := FullStart(b, "dref", 0, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b, url := FullStart(b, "url ", 0, 1)
	End(b, url)
	End(b, dref)
	End(b, dinf)
	return b
}

// AVCSampleDescription appends stsd with one avc1 entry whose avcC holds
// sps and pps (each at least 4 bytes long): the sample description of an
// H.264 track.
func AVCSampleDescription(b []byte, width, height int, sps, pps []byte) []byte {
	b, stsd := FullStart(b, "stsd", 0, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b, avc1 := Start(b, "avc1")
	b = Zeros(b, 6)
	b = binary.BigEndian.AppendUint16(b, 1) // data reference index
	b = Zeros(b, 16)
	b = binary.BigEndian.AppendUint16(b, uint16(width))
	b = binary.BigEndian.AppendUint16(b, uint16(height))
	b = binary.BigEndian.AppendUint32(b, 0x00480000) // 72 dpi
	b = binary.BigEndian.AppendUint32(b, 0x00480000)
	b = Zeros(b, 4)
	b = binary.BigEndian.AppendUint16(b, 1) // frame count
	b = Zeros(b, 32)                        // compressor name
	b = binary.BigEndian.AppendUint16(b, 0x0018)
	b = binary.BigEndian.AppendUint16(b, 0xffff)
	b, avcC := Start(b, "avcC")
	b = append(b, 1, sps[1], sps[2], sps[3], 0xff, 0xe1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(sps)))
	b = append(b, sps...)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(pps)))
	b = append(b, pps...)
	End(b, avcC)
	End(b, avc1)
	End(b, stsd)
	return b
}
