//go:build race

package track_test

// raceOn: the race detector slows Go code (plategen's renderer) tenfold.
const raceOn = true
