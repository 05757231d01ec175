package main

import (
	"context"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// owner is a node's cluster.Owner in the benchmark: it runs no camera, but
// keeps which cameras run on its node and since when (the Own call that
// first named each: where the service's camera registry would start it).
type owner struct {
	mu      sync.Mutex
	running map[string]time.Time
}

// Own keeps the cameras recorded here; warm ones (being moved by a
// rebalance) do not count as running.
func (o *owner) Own(_ context.Context, leases, _ []store.Lease) error {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	next := make(map[string]time.Time, len(leases))
	for _, l := range leases {
		since, ok := o.running[l.Camera]
		if !ok {
			since = now
		}
		next[l.Camera] = since
	}
	o.running = next
	return nil
}

// Ready: no stream runs in the benchmark, so a camera is ready at once.
func (o *owner) Ready(string) bool { return true }

// HandOff cuts at once: no stream runs in the benchmark.
func (o *owner) HandOff(context.Context, string) time.Time { return time.Now() }

// cameras is what runs on the node now, and since when.
func (o *owner) cameras() map[string]time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]time.Time, len(o.running))
	for c, t := range o.running {
		out[c] = t
	}
	return out
}
