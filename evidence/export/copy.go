package export

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
)

// copyChunk is the unit of the copy pipeline: large enough that syscalls
// and channel hand-offs are noise next to hashing.
const copyChunk = 1 << 20

// copyHashed copies src to a new file dst, hashing what it copies. Reading,
// hashing and writing run as a three-stage pipeline on different chunks, so
// on two or more cores the copy runs at the speed of SHA-256 or of the
// disk, whichever is slower, not at the sum of the three.
func copyHashed(dst, src string, mkdirErr error) (sum [32]byte, n int64, err error) {
	if mkdirErr != nil {
		return sum, 0, mkdirErr
	}
	in, err := os.Open(src)
	if err != nil {
		return sum, 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return sum, 0, err
	}
	n, sum, err = pipeline(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return sum, n, err
}

type chunk struct {
	b   []byte
	err error // a read error ends the stream
}

// pipeline copies r to w through a hashing stage.
func pipeline(w io.Writer, r io.Reader) (int64, [32]byte, error) {
	const depth = 4
	free := make(chan []byte, depth)
	for i := 0; i < depth; i++ {
		free <- make([]byte, copyChunk)
	}
	toHash := make(chan chunk, depth)
	toWrite := make(chan chunk, depth)
	stop := make(chan struct{})
	defer close(stop)

	go func() { // read
		defer close(toHash)
		for {
			var b []byte
			select {
			case b = <-free:
			case <-stop:
				return
			}
			n, err := io.ReadFull(r, b)
			if n > 0 {
				toHash <- chunk{b: b[:n]}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					toHash <- chunk{err: err}
				}
				return
			}
		}
	}()
	h := sha256.New()
	go func() { // hash
		defer close(toWrite)
		for c := range toHash {
			if c.err == nil {
				h.Write(c.b)
			}
			select {
			case toWrite <- c:
			case <-stop:
				return
			}
		}
	}()
	var n int64
	for c := range toWrite { // write
		if c.err != nil {
			return n, [32]byte{}, fmt.Errorf("read: %w", c.err)
		}
		m, err := w.Write(c.b)
		n += int64(m)
		if err != nil {
			return n, [32]byte{}, err
		}
		free <- c.b[:cap(c.b)]
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return n, sum, nil
}

// hashingWriter hashes what passes through it to a file.
type hashingWriter struct {
	w io.Writer
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func newHashingWriter(w io.Writer) *hashingWriter { return &hashingWriter{w: w, h: sha256.New()} }

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

func (hw *hashingWriter) sum() (s [32]byte) {
	hw.h.Sum(s[:0])
	return s
}
