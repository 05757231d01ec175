//go:build !linux

package segment

import "os"

// datasync commits the file to stable storage.
func datasync(f *os.File) error { return f.Sync() }

// dropCached is advice the other systems go without.
func dropCached(*os.File, int64, int64) {}
