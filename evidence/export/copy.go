package export

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// copyChunk is the unit of the copy pipeline: large enough that syscalls
// and channel hand-offs are noise next to hashing.
const copyChunk = 1 << 20

// copyHashed copies src to a new file dst, hashing what it copies. Reading,
// hashing and writing run as a three-stage pipeline on different chunks, so
// on two or more cores the copy runs at the speed of SHA-256 or of the
// disk, whichever is slower, not at the sum of the three.
func copyHashed(dst, src string) (sum [32]byte, n int64, err error) {
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
		// Start writeback now; the bundle is fsynced once at the end
		// (syncPaths), not file by file with the pipeline idle.
		err = unix.SyncFileRange(int(out.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
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

// writeHashed runs produce into a new file through the hashing pipeline,
// so that producing (remuxing) and hashing run on different cores.
func writeHashed(dst string, produce func(io.Writer) error) (sum [32]byte, n int64, err error) {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return sum, 0, err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(produce(pw)) }()
	n, sum, err = pipeline(out, pr)
	pr.CloseWithError(errors.New("export: copy stopped")) // unblocks produce on error
	if err == nil {
		err = unix.SyncFileRange(int(out.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return sum, n, err
}

// syncPaths makes files and the folders holding them durable: one pass
// at the end, after writeback was started file by file.
func syncPaths(paths []string) error {
	dirs := map[string]bool{}
	for _, p := range paths {
		if err := syncPath(p); err != nil {
			return err
		}
		dirs[filepath.Dir(p)] = true
	}
	for d := range dirs {
		if err := syncPath(d); err != nil {
			return err
		}
	}
	return nil
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
