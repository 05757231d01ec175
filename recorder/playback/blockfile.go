package playback

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// Block sizes of a BlockFile: a request a megabyte, and the last few kept.
const (
	fileBlock  = 1 << 20
	fileBlocks = 8
)

// FetchRange reads bytes [start, end] (inclusive, as an HTTP range) of a
// file held elsewhere.
type FetchRange func(start, end int64) ([]byte, error)

// BlockFile is a segment held elsewhere (on another node, in an object
// store), read in blocks of a megabyte with the last few kept: a player's
// many small reads (fragment headers) cost one request a block.
func BlockFile(size int64, fetch FetchRange) File {
	return &blockFile{size: size, fetch: fetch, blocks: map[int64][]byte{}}
}

type blockFile struct {
	size  int64
	fetch FetchRange

	mu     sync.Mutex
	blocks map[int64][]byte
	order  []int64 // oldest first
}

func (f *blockFile) Size() int64  { return f.size }
func (f *blockFile) Close() error { return nil }

func (f *blockFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for n < len(p) && off+int64(n) < f.size {
		at := off + int64(n)
		b, err := f.block(at / fileBlock)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], b[at%fileBlock:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *blockFile) block(i int64) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.blocks[i]; ok {
		return b, nil
	}
	start := i * fileBlock
	end := min(start+fileBlock, f.size) - 1
	b, err := f.fetch(start, end)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != end-start+1 {
		return nil, fmt.Errorf("bytes %d-%d: %d bytes read, %d expected", start, end, len(b), end-start+1)
	}
	if len(f.order) == fileBlocks {
		delete(f.blocks, f.order[0])
		f.order = f.order[1:]
	}
	f.blocks[i] = b
	f.order = append(f.order, i)
	return b, nil
}
