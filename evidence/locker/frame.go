package locker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/vigil-cctv/vigil/evidence"
	"hash/crc32"
	"io"
)

// On disk each entry is a frame: big-endian uint32 length, the canonical
// entry, big-endian uint32 CRC-32C of the entry. The CRC tells a torn or
// rotted frame from a valid one before the entry is decoded.

// maxFrameEntry bounds one entry: 11 text fields of at most evidence.MaxFieldBytes
// plus the fixed part.
const maxFrameEntry = 12*evidence.MaxFieldBytes + 256

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendFrame(dst, entry []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(entry)))
	dst = append(dst, entry...)
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(entry, castagnoli))
}

// errTorn marks a frame cut short by a crash: it reaches past the end of
// the file, or the file holds only zeros from there.
var errTorn = errors.New("torn frame at the end of the log")

// frameReader reads frames from a log file of known size.
type frameReader struct {
	r    io.ReaderAt
	size int64
	off  int64
	buf  []byte
}

// next returns the next entry's bytes (valid until the next call), io.EOF
// at a clean end, errTorn for a torn tail, or another error for damage.
func (fr *frameReader) next() ([]byte, error) {
	if fr.off == fr.size {
		return nil, io.EOF
	}
	var hdr [4]byte
	if fr.size-fr.off < 4 {
		return nil, errTorn
	}
	if _, err := fr.r.ReadAt(hdr[:], fr.off); err != nil {
		return nil, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[:]))
	if n == 0 || n > maxFrameEntry {
		if fr.zerosToEnd() {
			return nil, errTorn
		}
		return nil, fmt.Errorf("bad frame length %d at offset %d", n, fr.off)
	}
	if fr.off+4+n+4 > fr.size {
		return nil, errTorn
	}
	if cap(fr.buf) < int(n+4) {
		fr.buf = make([]byte, n+4)
	}
	b := fr.buf[:n+4]
	if _, err := fr.r.ReadAt(b, fr.off+4); err != nil {
		return nil, err
	}
	entry := b[:n]
	if crc32.Checksum(entry, castagnoli) != binary.BigEndian.Uint32(b[n:]) {
		if fr.off+8+n == fr.size || fr.zerosToEnd() {
			return nil, errTorn
		}
		return nil, fmt.Errorf("checksum mismatch in the frame at offset %d", fr.off)
	}
	fr.off += 8 + n
	return entry, nil
}

// zerosToEnd reports whether the file holds only zeros from the current
// frame on: what a filesystem leaves after a crash during an extending write.
func (fr *frameReader) zerosToEnd() bool {
	buf := make([]byte, 64<<10)
	for off := fr.off; off < fr.size; {
		n, err := fr.r.ReadAt(buf[:min(int64(len(buf)), fr.size-off)], off)
		for _, c := range buf[:n] {
			if c != 0 {
				return false
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return false
		}
		off += int64(n)
		if n == 0 {
			return false
		}
	}
	return true
}
