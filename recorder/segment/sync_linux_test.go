package segment

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// After Sync the synced pages leave the page cache, and the file still
// reads back whole.
func TestSyncReleasesPageCache(t *testing.T) {
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC {
		t.Skip("the temporary directory is tmpfs, whose pages are the file itself")
	}
	c := loadClip(t)
	aus := c.accessUnits(len(c.aus))
	p := filepath.Join(dir, "s.mp4")
	w, err := Create(p, testHeader(c, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, au := range aus {
		if err := w.WriteAccessUnit(au); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	synced := w.Bytes() &^ 4095
	if synced < 4*4096 {
		t.Fatalf("only %d bytes written; the clip is too short for this test", w.Bytes())
	}
	if n := residentPages(t, p, synced); n > 0 {
		t.Errorf("%d of %d synced pages still cached after Sync", n, synced/4096)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	idx, err := scanFile(t, p)
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	for _, f := range idx.Fragments {
		frames += f.Samples
	}
	if frames != len(aus) {
		t.Errorf("the file reads back %d frames, want %d", frames, len(aus))
	}
}

// residentPages counts the pages of the file's first n bytes in the page
// cache (mincore over a read-only mapping, which faults nothing in).
func residentPages(t *testing.T, p string, n int64) int {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, int(n), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (n+4095)/4096)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	res := 0
	for _, v := range vec {
		res += int(v & 1)
	}
	return res
}
