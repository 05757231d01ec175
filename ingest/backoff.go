package ingest

import (
	"math/rand/v2"
	"time"
)

// Backoff is the reconnect delay policy: exponential from Min to Max with
// jitter, so 300 cameras behind one failed radio link do not reconnect in step.
type Backoff struct {
	Min, Max time.Duration
}

// Delay is the wait before the given retry (0 for the first retry).
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Min
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	// ±20% jitter, never below Min.
	j := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return min(max(j, b.Min), b.Max)
}
