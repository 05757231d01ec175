package export

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/playback"
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

// hashFile reads and hashes a file.
func hashFile(p string) (sum [32]byte, n int64, err error) {
	in, err := os.Open(p)
	if err != nil {
		return sum, 0, err
	}
	defer in.Close()
	hp := newHashPipe(io.Discard)
	_, err = hp.ReadFrom(in)
	n, sum, err = hp.finish(err)
	return sum, n, err
}

// copyHashed copies src to a new file dst, hashing what it copies.
func copyHashed(dst, src string) (sum [32]byte, n int64, err error) {
	in, err := os.Open(src)
	if err != nil {
		return sum, 0, err
	}
	defer in.Close()
	return writeHashed(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in) // the pipe's ReadFrom: read straight into its chunks
		return err
	})
}

// elsewhere says whether a segment is on another node's disk or in the
// object store.
func (x *Exporter) elsewhere(s *store.Segment) bool {
	return x.Open != nil && (s.Object != "" || s.Node != "" && s.Node != x.Node)
}

// copyOpened copies a segment read through open (from the node whose disk
// holds it) to a new file dst, hashing what it copies.
func copyOpened(dst string, open func(*store.Segment) (playback.File, error), s *store.Segment) (sum [32]byte, n int64, err error) {
	in, err := open(s)
	if err != nil {
		return sum, 0, err
	}
	defer in.Close()
	return writeHashed(dst, func(w io.Writer) error {
		_, err := io.Copy(w, io.NewSectionReader(in, 0, in.Size()))
		return err
	})
}

// writeHashed writes a new file dst with what produce writes (a copy, a
// remux), hashing it. Producing, hashing and writing work on different
// chunks (hashPipe), so on two or more cores the file is written at the
// speed of SHA-256 or of the disk, whichever is slower, not at the sum of
// the three. The file bypasses the page cache where the filesystem allows
// (direct_linux.go): an export is written once and read rarely, and
// copying it through the cache cost more CPU than hashing it.
func writeHashed(dst string, produce func(io.Writer) error) (sum [32]byte, n int64, err error) {
	out, err := createDirect(dst)
	if err != nil {
		return sum, 0, err
	}
	hp := newHashPipe(out)
	n, sum, err = hp.finish(produce(hp))
	if err == nil {
		err = out.startWriteback()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return sum, n, err
}

// hashPipe is an io.Writer whose bytes are hashed and written to out by
// two goroutines of its own, a chunk at a time: the producer fills one
// chunk while SHA-256 runs over the one before and the disk takes the
// one before that. Chunks are whole copyChunk blocks from aligned memory
// but the last, as O_DIRECT wants. It is also an io.ReaderFrom, so that
// io.Copy reads straight into its chunks.
type hashPipe struct {
	out     io.Writer
	free    chan []byte
	toHash  chan []byte
	toWrite chan []byte
	failed  chan struct{} // closed on a write error
	done    chan struct{} // closed when the writing goroutine ends
	h       hash.Hash
	cur     []byte // the chunk being filled
	n       int64  // bytes out accepted; read after done
	err     error  // out's error; read after failed or done
}

const pipeDepth = 4

func newHashPipe(out io.Writer) *hashPipe {
	p := &hashPipe{out: out, free: make(chan []byte, pipeDepth), toHash: make(chan []byte, pipeDepth),
		toWrite: make(chan []byte, pipeDepth), failed: make(chan struct{}), done: make(chan struct{}), h: sha256.New()}
	for range pipeDepth {
		p.free <- alignedChunk()[:0]
	}
	go func() { // hash
		defer close(p.toWrite)
		for b := range p.toHash {
			p.h.Write(b)
			p.toWrite <- b
		}
	}()
	go func() { // write; after an error, only hand the chunks back
		defer close(p.done)
		for b := range p.toWrite {
			if p.err == nil {
				m, err := p.out.Write(b)
				p.n += int64(m)
				if err != nil {
					p.err = err
					close(p.failed)
				}
			}
			p.free <- b[:0]
		}
	}()
	return p
}

// chunk is the chunk to fill, taken from the free ones when there is none.
func (p *hashPipe) chunk() ([]byte, error) {
	select {
	case <-p.failed:
		return nil, p.err
	default:
	}
	if p.cur == nil {
		select {
		case p.cur = <-p.free:
		case <-p.failed:
			return nil, p.err
		}
	}
	return p.cur, nil
}

// pass hands the current chunk on when it is full (or last).
func (p *hashPipe) pass(last bool) {
	if len(p.cur) == cap(p.cur) || (last && len(p.cur) > 0) {
		p.toHash <- p.cur
		p.cur = nil
	}
}

func (p *hashPipe) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		c, err := p.chunk()
		if err != nil {
			return n, err
		}
		m := copy(c[len(c):cap(c)], b)
		p.cur, b, n = c[:len(c)+m], b[m:], n+m
		p.pass(false)
	}
	return n, nil
}

func (p *hashPipe) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for {
		c, err := p.chunk()
		if err != nil {
			return n, err
		}
		m, err := r.Read(c[len(c):cap(c)])
		p.cur, n = c[:len(c)+m], n+int64(m)
		p.pass(false)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("read: %w", err)
		}
	}
}

// finish passes the last chunk on (unless the producer failed with
// perr), waits for the disk, and reports what out accepted and its hash.
func (p *hashPipe) finish(perr error) (int64, [32]byte, error) {
	if perr == nil {
		p.pass(true)
	}
	close(p.toHash)
	<-p.done
	var sum [32]byte
	if err := cmp.Or(perr, p.err); err != nil {
		return p.n, sum, err
	}
	p.h.Sum(sum[:0])
	return p.n, sum, nil
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
