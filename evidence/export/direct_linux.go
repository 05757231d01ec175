package export

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// blockSize is the alignment O_DIRECT asks of offsets, lengths and memory
// (4096 covers 512-byte and 4K-sector disks).
const blockSize = 4096

// directFile is a new file written past the page cache (O_DIRECT) while
// its writes are whole blocks from aligned memory; a short write (a file's
// last) clears O_DIRECT first. Where the filesystem refuses O_DIRECT
// (tmpfs), it is a plain file.
type directFile struct {
	*os.File
	direct bool
}

func createDirect(p string) (*directFile, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_DIRECT, 0o644)
	if err == nil {
		return &directFile{File: f, direct: true}, nil
	}
	if !errors.Is(err, unix.EINVAL) {
		return nil, err
	}
	f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &directFile{File: f}, nil
}

func (f *directFile) Write(b []byte) (int, error) {
	if f.direct && (len(b)%blockSize != 0 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%blockSize != 0) {
		if err := f.buffered(); err != nil {
			return 0, err
		}
	}
	n, err := f.File.Write(b)
	if n == 0 && f.direct && errors.Is(err, unix.EINVAL) { // opened, but the filesystem takes no direct writes
		if err := f.buffered(); err != nil {
			return 0, err
		}
		return f.File.Write(b)
	}
	return n, err
}

// buffered turns O_DIRECT off for the rest of the file.
func (f *directFile) buffered() error {
	f.direct = false
	fd := int(f.Fd())
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err == nil {
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_DIRECT)
	}
	return err
}

// startWriteback starts writing what went through the page cache (the
// last, short write); the bundle is fsynced once at the end (syncPaths).
func (f *directFile) startWriteback() error {
	return unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}

// alignedChunk is a copyChunk buffer starting on a block boundary.
func alignedChunk() []byte {
	b := make([]byte, copyChunk+blockSize)
	off := (blockSize - int(uintptr(unsafe.Pointer(&b[0]))%blockSize)) % blockSize
	return b[off : off+copyChunk : off+copyChunk]
}

// cloneFile makes dst a reflink of src (FICLONE): an independent file
// sharing src's blocks until either is written.
func cloneFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	err = unix.IoctlFileClone(int(out.Fd()), int(in.Fd()))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
	}
	return err
}
