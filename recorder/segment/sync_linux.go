package segment

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync commits the file's data (and the metadata needed to read it,
// such as its size) to stable storage.
func datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		for {
			serr = unix.Fdatasync(int(fd))
			if serr != unix.EINTR {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}
