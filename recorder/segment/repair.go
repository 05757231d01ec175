package segment

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

// Repair makes a segment left by a crash whole: it scans the file, cuts off
// a torn last fragment, syncs, and describes the result, with the SHA-256
// of the file read back. A file without a complete fragment is left as it
// is and gives ErrEmpty; a corrupt one is left as it is and gives the
// Scan error.
func Repair(path string) (Info, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	idx, err := Scan(f, st.Size())
	if err != nil {
		return Info{}, fmt.Errorf("segment %s: %w", path, err)
	}
	if len(idx.Fragments) == 0 {
		return Info{}, fmt.Errorf("segment %s: %w", path, ErrEmpty)
	}
	if idx.Complete != st.Size() {
		if err := f.Truncate(idx.Complete); err != nil {
			return Info{}, fmt.Errorf("segment %s: truncate: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		return Info{}, fmt.Errorf("segment %s: sync: %w", path, err)
	}
	in := idx.info(path)
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(f, 0, idx.Complete))
	if err != nil {
		return Info{}, fmt.Errorf("segment %s: hashing: %w", path, err)
	}
	if n != idx.Complete {
		return Info{}, fmt.Errorf("segment %s: hashed %d bytes of %d", path, n, idx.Complete)
	}
	h.Sum(in.SHA256[:0])
	return in, nil
}

// info describes the complete fragments of a scanned file (without the
// hash). End is the wall time of the last sample plus its duration.
func (x *Index) info(path string) Info {
	in := Info{
		Path:      path,
		Bytes:     x.Complete,
		Start:     x.Start,
		Duration:  x.Duration(),
		Frames:    x.Frames(),
		Fragments: len(x.Fragments),
		StreamID:  x.StreamID,
		Sequence:  x.Sequence,
	}
	if n := len(x.Fragments); n > 0 {
		first, last := &x.Fragments[0], &x.Fragments[n-1]
		if in.Start.IsZero() {
			in.Start = first.Wall
		}
		// Wall of the fragment's presentation start plus its media.
		end := int64(last.BaseTime+last.Duration) - int64(last.MediaTime)
		in.End = last.Wall.Add(ticksDuration(end))
	}
	return in
}
