//go:build matprofile

package models

import "gocv.io/x/gocv"

// openMats is how many gocv Mats are open (gocv counts them with -tags matprofile).
func openMats() int { return gocv.MatProfile.Count() }
