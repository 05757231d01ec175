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

func (o *owner) Own(_ context.Context, leases []store.Lease) error {
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
