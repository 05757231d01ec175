package locker

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// hashFile stores the tree's hashes (tlog stored-hash order, 32 bytes
// each). New hashes are buffered and written in batches; reads see both.
// It is a cache: start-up rebuilds it from the log.
type hashFile struct {
	mu      sync.RWMutex
	f       *os.File
	written int64       // hashes on disk
	pending []tlog.Hash // hashes after written
}

const hashFlushBatch = 4096

func createHashFile(path string) (*hashFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	return &hashFile{f: f}, nil
}

// createTempHashFile is a hash cache no other process can open: an
// unlinked temporary file in dir.
func createTempHashFile(dir string) (*hashFile, error) {
	f, err := os.CreateTemp(dir, ".hashes-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return &hashFile{f: f}, nil
}

func (h *hashFile) append(hs []tlog.Hash) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending = append(h.pending, hs...)
	if len(h.pending) >= hashFlushBatch {
		return h.flushLocked()
	}
	return nil
}

func (h *hashFile) flush() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.flushLocked()
}

func (h *hashFile) flushLocked() error {
	if len(h.pending) == 0 {
		return nil
	}
	buf := make([]byte, 0, len(h.pending)*tlog.HashSize)
	for i := range h.pending {
		buf = append(buf, h.pending[i][:]...)
	}
	if _, err := h.f.WriteAt(buf, h.written*tlog.HashSize); err != nil {
		return fmt.Errorf("evidence hash cache: %w", err)
	}
	h.written += int64(len(h.pending))
	h.pending = h.pending[:0]
	return nil
}

// ReadHashes implements tlog.HashReader.
func (h *hashFile) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		switch {
		case idx < 0 || idx >= h.written+int64(len(h.pending)):
			return nil, fmt.Errorf("evidence hash cache: no hash %d", idx)
		case idx >= h.written:
			out[i] = h.pending[idx-h.written]
		default:
			if _, err := h.f.ReadAt(out[i][:], idx*tlog.HashSize); err != nil {
				return nil, fmt.Errorf("evidence hash cache: read hash %d: %w", idx, err)
			}
		}
	}
	return out, nil
}

func (h *hashFile) close() error {
	err := h.flush()
	if cerr := h.f.Close(); err == nil {
		err = cerr
	}
	return err
}
