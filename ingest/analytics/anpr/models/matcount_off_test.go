//go:build !matprofile

package models

// openMats is -1 without -tags matprofile: gocv counts nothing then
// (`make test` sets the tag).
func openMats() int { return -1 }
