package export

import (
	"archive/zip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// writeZip writes the bundle folder as a zip file beside it.
func writeZip(zipPath, dir, top string) (err error) {
	f, err := os.OpenFile(zipPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err = WriteZip(f, dir, top); err != nil {
		return err
	}
	return f.Sync()
}

// WriteZip writes the bundle folder dir as a zip with top as its top-level
// folder: to a file, or straight to a download. Video does not compress:
// entries are stored, which costs no CPU.
func WriteZip(w io.Writer, dir, top string) error {
	zw := zip.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name, h.Method = top+"/"+filepath.ToSlash(rel), zip.Store
		zf, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.CopyBuffer(zf, in, make([]byte, copyChunk))
		return err
	})
	if err != nil {
		return err
	}
	return zw.Close()
}
