//go:build !linux

package export

import (
	"errors"
	"os"
)

// directFile is a plain new file where O_DIRECT is not offered.
type directFile struct{ *os.File }

func createDirect(p string) (*directFile, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &directFile{File: f}, nil
}

func (f *directFile) startWriteback() error { return nil }

func alignedChunk() []byte { return make([]byte, copyChunk) }

func cloneFile(dst, src string) error { return errors.New("reflinks are not offered here") }
