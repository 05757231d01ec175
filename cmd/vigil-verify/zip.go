package main

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/vigil-cctv/vigil/evidence/bundle"
	"golang.org/x/mod/sumdb/note"
)

// Bounds on a zipped bundle: footage is large, but a zip bomb must not
// fill the disk before anything is checked.
const (
	maxZipEntries    = 300_000
	maxZipEntryBytes = 64 << 30
	maxZipTotalBytes = 512 << 30
)

// verifyZip extracts a zipped bundle to a temporary folder (streaming, so
// memory stays small) and verifies that. A zip that cannot be extracted
// safely fails verification.
func verifyZip(name string, pinned note.Verifier, opts bundle.Options) *bundle.Report {
	tmp, err := os.MkdirTemp("", "vigil-verify-")
	if err != nil {
		return failed(name, err)
	}
	defer os.RemoveAll(tmp)
	root, err := extract(name, tmp)
	if err != nil {
		return failed(name, err)
	}
	r := bundle.Verify(root, pinned, opts)
	r.Dir = name
	return r
}

func failed(name string, err error) *bundle.Report {
	return &bundle.Report{Dir: name, Checks: []bundle.Check{{Name: bundle.CheckFiles, Detail: "zip: " + err.Error()}}}
}

// extract writes the zip's files under dir and returns the bundle's root:
// dir, or the zip's one top-level folder.
func extract(name, dir string) (string, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return "", fmt.Errorf("not a readable zip: %v", err)
	}
	defer zr.Close()
	if len(zr.File) > maxZipEntries {
		return "", fmt.Errorf("%d entries, at most %d", len(zr.File), maxZipEntries)
	}
	var total uint64
	tops := map[string]bool{}
	for _, f := range zr.File {
		clean := strings.TrimSuffix(f.Name, "/")
		if err := bundle.CheckPath(clean); err != nil {
			return "", fmt.Errorf("unsafe name %q: %v", f.Name, err)
		}
		tops[strings.SplitN(clean, "/", 2)[0]] = true
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			return "", fmt.Errorf("%s is a symlink", clean)
		case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(clean)), 0o755); err != nil {
				return "", err
			}
			continue
		case !mode.IsRegular():
			return "", fmt.Errorf("%s is not a regular file", clean)
		}
		if f.UncompressedSize64 > maxZipEntryBytes {
			return "", fmt.Errorf("%s: %d bytes, at most %d", clean, f.UncompressedSize64, maxZipEntryBytes)
		}
		if total += f.UncompressedSize64; total > maxZipTotalBytes {
			return "", fmt.Errorf("over %d bytes uncompressed", uint64(maxZipTotalBytes))
		}
		if err := extractFile(f, filepath.Join(dir, filepath.FromSlash(clean))); err != nil {
			return "", fmt.Errorf("%s: %v", clean, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, bundle.ManifestPath)); errors.Is(err, fs.ErrNotExist) && len(tops) == 1 {
		for top := range tops {
			return filepath.Join(dir, path.Clean(top)), nil
		}
	}
	return dir, nil
}

// extractFile copies one entry, refusing to overwrite (a name twice, or
// twice but for case on Windows and macOS) and to write more than the
// entry declares.
func extractFile(f *zip.File, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("cannot create (a name twice?): %v", err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && uint64(n) != f.UncompressedSize64 {
		err = fmt.Errorf("holds %d bytes, declares %d", n, f.UncompressedSize64)
	}
	return err
}
