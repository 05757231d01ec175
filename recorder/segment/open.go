package segment

import "os"

// File is a segment file on this machine's disk, opened for reading, with
// its size (what segment readers take: an io.ReaderAt and a length).
type File struct {
	*os.File
	size int64
}

// Size is the file's size when it was opened.
func (f File) Size() int64 { return f.size }

// Open opens the segment file at path for reading.
func Open(path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return File{}, err
	}
	return File{f, st.Size()}, nil
}
