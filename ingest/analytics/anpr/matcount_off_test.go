//go:build !matprofile

package anpr

// openMats is -1 without -tags matprofile: gocv counts nothing then.
func openMats() int { return -1 }
