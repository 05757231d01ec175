// Package nuisance turns number-plate reads into the alerts an operator
// acts on: a watch-listed vehicle seen (matching allows for the
// characters a reader confuses), and behaviour over an area of cameras —
// the same vehicle passing again and again (cruising), a vehicle that
// entered and has not left (dwell), and several vehicles cruising at once
// (a car meet).
//
// Behaviour is judged from the reads of the last window kept in memory:
// a restart forgets them, and the windows fill again from new reads.
package nuisance
