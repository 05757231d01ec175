//go:build !matprofile

package analytics

// openMats is -1 without -tags matprofile: gocv counts nothing then
// (`make test` sets the tag).
func openMats() int { return -1 }
