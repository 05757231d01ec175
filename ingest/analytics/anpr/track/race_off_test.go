//go:build !race

package track_test

const raceOn = false
