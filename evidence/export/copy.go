package export

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// copyChunk is the unit of the copy pipeline: large enough that syscalls
// and channel hand-offs are noise next to hashing, and a multiple of the
// block size, so that every chunk but a file's last can be written past
// the page cache (direct.go).
const copyChunk = 1 << 20

// Placement says how a master reached the bundle.
type Placement string

const (
	// PlacedClone: a reflink, an independent copy-on-write copy sharing
	// the recording's blocks (XFS, Btrfs).
	PlacedClone Placement = "clone"
	// PlacedLink: a hard link to the sealed recording (same filesystem).
	PlacedLink Placement = "link"
	// PlacedCopy: the bytes copied.
	PlacedCopy Placement = "copy"
)

// placeMaster puts the sealed segment src into the bundle at dst, and
// hashes every byte of it either way, so a recording damaged on disk is
// caught. Unless copyOnly, it first tries not to write the bytes again: a
// reflink, else a hard link. A sealed segment is never written again, and
// the bundle's link keeps its bytes when retention later deletes the
// recording; a bundle then costs no disk space for its masters, and the
// export runs at the speed of hashing. Across filesystems (an export
// directory on another disk) it copies.
func placeMaster(dst, src string, copyOnly bool) (sum [32]byte, n int64, how Placement, err error) {
	if !copyOnly {
		if how, ok := shareBlocks(dst, src); ok {
			sum, n, err = hashFile(dst)
			if err != nil {
				os.Remove(dst)
			}
			return sum, n, how, err
		}
	}
	sum, n, err = copyHashed(dst, src)
	return sum, n, PlacedCopy, err
}

// shareBlocks makes dst a reflink of src, or else a hard link to it; false
// when the filesystem allows neither (dst is then absent).
func shareBlocks(dst, src string) (Placement, bool) {
	if cloneFile(dst, src) == nil {
		return PlacedClone, true
	}
	if os.Link(src, dst) == nil {
		return PlacedLink, true
	}
	return "", false
}

// hashFile reads and hashes a file through the pipeline.
func hashFile(p string) (sum [32]byte, n int64, err error) {
	in, err := os.Open(p)
	if err != nil {
		return sum, 0, err
	}
	defer in.Close()
	n, sum, err = pipeline(io.Discard, in)
	return sum, n, err
}

// copyHashed copies src to a new file dst, hashing what it copies.
func copyHashed(dst, src string) (sum [32]byte, n int64, err error) {
	in, err := os.Open(src)
	if err != nil {
		return sum, 0, err
	}
	defer in.Close()
	return writeHashed(dst, nil, in)
}

// writeHashed writes a new file dst from src or, when src is nil, from
// what produce writes (a remux), hashing what it writes. Reading (or producing),
// hashing and writing run as a pipeline on different chunks, so on two or
// more cores the file is written at the speed of SHA-256 or of the disk,
// whichever is slower, not at the sum of the three. The file bypasses the
// page cache where the filesystem allows (direct.go): an export is written
// once and read rarely, and copying it through the cache cost more CPU
// than hashing it.
func writeHashed(dst string, produce func(io.Writer) error, src io.Reader) (sum [32]byte, n int64, err error) {
	out, err := createDirect(dst)
	if err != nil {
		return sum, 0, err
	}
	r := src
	if r == nil {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(produce(pw)) }()
		defer pr.CloseWithError(errors.New("export: copy stopped")) // unblocks produce on error
		r = pr
	}
	n, sum, err = pipeline(out, r)
	if err == nil {
		err = out.startWriteback()
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
		free <- alignedChunk()
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
