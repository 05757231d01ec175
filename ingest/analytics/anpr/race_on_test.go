//go:build race

package anpr

// raceOn: the race detector slows Go code (plategen's renderer) tenfold.
const raceOn = true
