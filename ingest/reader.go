package ingest

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Reader receives the access units of a hub through a bounded queue.
type Reader struct {
	hub         *Hub
	name        string
	q           KeyQueue[*AccessUnit] // Offer guarded by the hub's mutex
	dropped     atomic.Uint64
	dropCounter prometheus.Counter
	closeOnce   sync.Once
}

// C is the reader's queue. It is closed when the reader or the hub is closed.
func (r *Reader) C() <-chan *AccessUnit { return r.q.C }

// Name is the reader's name.
func (r *Reader) Name() string { return r.name }

// Dropped is the number of access units this reader has lost.
func (r *Reader) Dropped() uint64 { return r.dropped.Load() }

// Close detaches the reader from its hub. It is safe to call more than once.
func (r *Reader) Close() {
	r.closeOnce.Do(func() { r.hub.detach(r) })
}

// offer enqueues au without blocking; called with the hub's mutex held.
func (r *Reader) offer(au *AccessUnit) {
	if r.q.Offer(au, au.Keyframe) {
		r.drop()
	}
}

func (r *Reader) drop() {
	r.dropped.Add(1)
	if r.dropCounter != nil {
		r.dropCounter.Inc()
	}
}
