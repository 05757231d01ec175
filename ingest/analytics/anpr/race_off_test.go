//go:build !race

package anpr

const raceOn = false
