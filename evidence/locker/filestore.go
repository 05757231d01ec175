package locker

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// fileStorage keeps the log in a directory: the entries as frames in one
// append-only file (frame.go), the last checkpoint in its own file. One
// process at a time has it open (a lock file): a second writer would fork
// the log.
type fileStorage struct {
	dir    string
	logger *slog.Logger
	lock   *os.File
	f      *os.File

	mu      sync.RWMutex
	offsets []int64 // of each entry's frame
	end     int64   // the log file's size (writer only)
}

func openFileStorage(dir string, logger *slog.Logger) (_ *fileStorage, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("evidence log: %w", err)
	}
	s := &fileStorage{dir: dir, logger: logger}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.lock, err = lockDir(filepath.Join(dir, lockFile)); err != nil {
		return nil, err
	}
	if s.f, err = os.OpenFile(filepath.Join(dir, logFile), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
		return nil, fmt.Errorf("evidence log: %w", err)
	}
	return s, nil
}

func (s *fileStorage) where() string { return filepath.Join(s.dir, logFile) }

// load reads every frame (from is always 0: the file is read once, at
// open) and cuts off a torn tail left by a crash.
func (s *fileStorage) load(from int64, fn func(raw []byte) error) error {
	if from != 0 || len(s.offsets) != 0 {
		return errors.New("evidence log: a log file is read once, from the start")
	}
	st, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("evidence log: %w", err)
	}
	fr := frameReader{r: s.f, size: st.Size()}
	for {
		off := fr.off
		raw, err := fr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errTorn) {
			s.logger.Warn("evidence log: cutting off a torn last entry (a crash during an append that was never acknowledged)",
				"entry", len(s.offsets), "offset", off, "bytes", fr.size-off)
			if err := s.f.Truncate(off); err != nil {
				return fmt.Errorf("evidence log: cut torn tail: %w", err)
			}
			if err := s.f.Sync(); err != nil {
				return fmt.Errorf("evidence log: %w", err)
			}
			break
		}
		if err == nil {
			err = fn(raw)
		}
		if err != nil {
			return err
		}
		s.offsets = append(s.offsets, off)
	}
	s.end = fr.off
	return nil
}

// write appends the entries' frames with one write and one fdatasync.
func (s *fileStorage) write(first int64, raws [][]byte) error {
	if first != int64(len(s.offsets)) {
		return fmt.Errorf("evidence log: entry %d written after %d", first, len(s.offsets))
	}
	var buf []byte
	offs := make([]int64, len(raws))
	for i, raw := range raws {
		offs[i] = s.end + int64(len(buf))
		buf = appendFrame(buf, raw)
	}
	_, err := s.f.Write(buf)
	if err == nil {
		err = unix.Fdatasync(int(s.f.Fd()))
	}
	if err != nil {
		return err
	}
	s.end += int64(len(buf))
	s.mu.Lock()
	s.offsets = append(s.offsets, offs...)
	s.mu.Unlock()
	return nil
}

func (s *fileStorage) read(seq int64) ([]byte, error) {
	s.mu.RLock()
	if seq < 0 || seq >= int64(len(s.offsets)) {
		s.mu.RUnlock()
		return nil, fmt.Errorf("no entry %d", seq)
	}
	off := s.offsets[seq]
	s.mu.RUnlock()
	// Only whole frames lie before the end: size just bounds the read.
	fr := frameReader{r: s.f, size: off + maxFrameEntry + 8, off: off}
	raw, err := fr.next()
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), raw...), nil
}

func (s *fileStorage) loadCheckpoint() ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, checkpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

func (s *fileStorage) saveCheckpoint(_ int64, note []byte) error {
	return writeFileSync(filepath.Join(s.dir, checkpointFile), note, 0o644)
}

func (s *fileStorage) close() error {
	var err error
	if s.f != nil {
		err = s.f.Close()
		s.f = nil
	}
	if s.lock != nil {
		s.lock.Close() // releases the flock
		s.lock = nil
	}
	return err
}

// lockDir takes an exclusive lock so that two processes never append to
// one log (a second writer would fork it).
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("evidence log: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("evidence log %s is in use by another Vigil process (%v): stop it, or use its API", filepath.Dir(path), err)
	}
	return f, nil
}
