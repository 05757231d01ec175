package analytics

import (
	"bytes"
	"os"
	"strconv"
	"testing"
)

// residentBytes is the process's resident set (Linux), C memory included.
func residentBytes(t testing.TB) int64 {
	buf, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm: ", err)
	}
	f := bytes.Fields(buf)
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return pages * int64(os.Getpagesize())
}
