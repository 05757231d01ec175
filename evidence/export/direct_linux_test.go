package export

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Whole aligned chunks go past the page cache, the short last one through
// it, and the file holds exactly what was written; a filesystem without
// O_DIRECT (tmpfs) gets a plain file with the same bytes.
func TestDirectFileWritesEveryByte(t *testing.T) {
	dirs := []string{t.TempDir()}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "vigil-direct-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			dirs = append(dirs, d)
		}
	}
	for _, dir := range dirs {
		var fs unix.Statfs_t
		if err := unix.Statfs(dir, &fs); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "out")
		f, err := createDirect(p)
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		b := alignedChunk()
		for i := 0; i < 3; i++ {
			for j := range b {
				b[j] = byte(i*7 + j*13)
			}
			if _, err := f.Write(b); err != nil {
				t.Fatal(err)
			}
			want = append(want, b...)
		}
		if fs.Type != unix.TMPFS_MAGIC && !f.direct {
			t.Errorf("%s: whole aligned chunks did not go past the page cache", dir)
		}
		tail := []byte("the last, short write of a file")
		if _, err := f.Write(tail); err != nil {
			t.Fatal(err)
		}
		want = append(want, tail...)
		if f.direct {
			t.Errorf("%s: still O_DIRECT after a short write", dir)
		}
		if err := f.startWriteback(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: file holds %d bytes (%v), want the %d written", dir, len(got), err, len(want))
		}
	}
}
