package playback

import "io"

// headerBlock is how much headerReader reads at once: enough for a
// fragment's prft, moof (a second of samples) and mdat header together.
const headerBlock = 8 << 10

// headerReader serves the small, forward-moving box header reads of
// segment.Scan from one block read ahead, so indexing a segment costs about
// one read per fragment instead of five. Larger reads go to the file.
type headerReader struct {
	r     io.ReaderAt
	size  int64
	buf   []byte
	start int64 // file offset of buf[0]
}

func newHeaderReader(r io.ReaderAt, size int64) *headerReader {
	return &headerReader{r: r, size: size, buf: make([]byte, 0, headerBlock)}
}

func (h *headerReader) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > headerBlock/2 || off < 0 {
		return h.r.ReadAt(p, off)
	}
	if off < h.start || off+int64(len(p)) > h.start+int64(len(h.buf)) {
		n := min(int64(headerBlock), h.size-off)
		if n < int64(len(p)) {
			return h.r.ReadAt(p, off)
		}
		h.buf = h.buf[:n]
		m, err := h.r.ReadAt(h.buf, off)
		h.buf, h.start = h.buf[:m], off
		if m < len(p) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return copy(p, h.buf), err
		}
	}
	return copy(p, h.buf[off-h.start:]), nil
}
