package segment

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync commits the file's data (and the metadata needed to read it,
// such as its size) to stable storage.
func datasync(f *os.File) error {
	return control(f, func(fd int) error {
		for {
			err := unix.Fdatasync(fd)
			if err != unix.EINTR {
				return err
			}
		}
	})
}

// dropCached asks the kernel to let go of the file's cached pages in
// [from, to), which are on disk (after datasync). Recording writes a
// stream once and rarely reads it back soon: keeping 150 MB/s of it in the
// page cache made every write() pay for growing and ageing the cache
// (measured: half the write CPU at 300 cameras). Advice only; an error
// changes nothing and is ignored.
func dropCached(f *os.File, from, to int64) {
	from, to = from&^4095, to&^4095
	if to <= from { // a length of 0 would mean "to the end of the file"
		return
	}
	control(f, func(fd int) error { return unix.Fadvise(fd, from, to-from, unix.FADV_DONTNEED) })
}

func control(f *os.File, op func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var operr error
	if err := rc.Control(func(fd uintptr) { operr = op(int(fd)) }); err != nil {
		return err
	}
	return operr
}
