package segment

import "encoding/binary"

// boxStart appends a box header with a placeholder size and returns the
// position to patch with boxEnd.
func boxStart(b []byte, typ string) ([]byte, int) {
	p := len(b)
	return append(b, 0, 0, 0, 0, typ[0], typ[1], typ[2], typ[3]), p
}

// fullBoxStart appends a full box header (version and flags).
func fullBoxStart(b []byte, typ string, version byte, flags uint32) ([]byte, int) {
	b, p := boxStart(b, typ)
	return append(b, version, byte(flags>>16), byte(flags>>8), byte(flags)), p
}

// boxEnd patches the size of the box started at p.
func boxEnd(b []byte, p int) {
	binary.BigEndian.PutUint32(b[p:], uint32(len(b)-p))
}

func appendZeros(b []byte, n int) []byte {
	for range n {
		b = append(b, 0)
	}
	return b
}

// unityMatrix is the identity transformation of mvhd and tkhd.
var unityMatrix = [9]uint32{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000}

func appendMatrix(b []byte) []byte {
	for _, v := range unityMatrix {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}
