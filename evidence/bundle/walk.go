package bundle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxWalk bounds how many names a bundle may hold before the verifier
// stops looking: a folder of millions of files is not a bundle.
const maxWalk = MaxManifestFiles + MaxCustodyLines + 1000

// bundleFile is a regular file of the bundle, read once.
type bundleFile struct {
	size int64
	sum  [32]byte
	data []byte // the contents, kept only for the small files parsed
	err  error  // why it could not be read, or why data is missing
}

// keepLimit is how many bytes of a file the verifier keeps to parse, or
// 0 for files that are only hashed.
func keepLimit(rel string) int64 {
	switch rel {
	case ManifestPath:
		return MaxManifestBytes
	case ManifestSigPath, CheckpointPath:
		return MaxCheckpointBytes
	case CustodyPath:
		return MaxCustodyBytes
	case SumsPath:
		return MaxSumsBytes
	}
	if strings.HasPrefix(rel, "proofs/") {
		return MaxProofBytes
	}
	return 0
}

// walk lists the bundle's regular files, reporting anything else (links,
// devices, bad names) as a problem of the file-set check, then reads each
// file once, hashing it as it goes.
func walk(dir string, f *findings) map[string]*bundleFile {
	infos := map[string]fs.FileInfo{}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		rel, rerr := filepath.Rel(dir, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			f.fail(CheckFiles, "cannot read %s: %v", rel, err)
			return nil
		}
		if rel == "." {
			return nil
		}
		if n++; n > maxWalk {
			f.fail(CheckFiles, "over %d files and folders: not a bundle", maxWalk)
			return filepath.SkipAll
		}
		if err := CheckPath(rel); err != nil {
			f.fail(CheckFiles, "bad file name: %v", err)
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			f.fail(CheckFiles, "symlink not allowed: %s", rel)
		case t.IsDir():
		case !t.IsRegular():
			f.fail(CheckFiles, "not a regular file: %s (%v)", rel, t)
		default:
			info, err := d.Info()
			if err != nil {
				f.fail(CheckFiles, "cannot read %s: %v", rel, err)
				return nil
			}
			infos[rel] = info
		}
		return nil
	})
	if err != nil {
		f.fail(CheckFiles, "cannot read the bundle folder: %v", err)
	}
	files := make(map[string]*bundleFile, len(infos))
	paths := make([]string, 0, len(infos))
	for rel := range infos {
		paths = append(paths, rel)
	}
	slices.Sort(paths)
	for _, rel := range paths {
		files[rel] = readFile(filepath.Join(dir, filepath.FromSlash(rel)), infos[rel], keepLimit(rel))
	}
	return files
}

// readFile hashes a file in one pass, keeping up to keep bytes of it. It
// checks that what it opened is the regular file the walk saw, not a link
// swapped in since.
func readFile(name string, seen fs.FileInfo, keep int64) *bundleFile {
	bf := &bundleFile{}
	fh, err := os.Open(name)
	if err != nil {
		bf.err = err
		return bf
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil || !st.Mode().IsRegular() || !os.SameFile(st, seen) {
		bf.err = errors.New("changed while being verified, or not a regular file")
		return bf
	}
	h := sha256.New()
	if keep > 0 {
		data, err := io.ReadAll(io.LimitReader(fh, keep+1))
		if err != nil {
			bf.err = err
			return bf
		}
		h.Write(data)
		bf.size = int64(len(data))
		if int64(len(data)) <= keep {
			bf.data = data
		} else {
			bf.err = fmt.Errorf("over the %d bytes such a file may have", keep)
		}
	}
	n, err := io.Copy(h, fh)
	if err != nil {
		bf.err = err
		bf.data = nil
		return bf
	}
	bf.size += n
	h.Sum(bf.sum[:0])
	return bf
}
