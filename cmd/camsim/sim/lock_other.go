//go:build !unix

package sim

// lockFile is a no-op where flock is not available: parallel generators then both run
// ffmpeg, and the atomic rename keeps the cache consistent.
func lockFile(string) (func(), error) {
	return func() {}, nil
}
