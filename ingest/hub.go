package ingest

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// StartAt says where a new reader's stream begins.
type StartAt int

const (
	// StartNextKeyframe delivers from the next keyframe published.
	StartNextKeyframe StartAt = iota
	// StartCachedKeyframe delivers the cached GOP first (from the latest
	// keyframe), so a live viewer starts at once.
	StartCachedKeyframe
	// StartNow delivers every access unit from now on, keyframe or not.
	StartNow
)

// DefaultGOPCacheBytes bounds the GOP cache of a hub: a 4 Mbit/s stream with
// a 2 s GOP needs about 1 MB; a camera with a very long GOP loses its cache
// rather than growing it.
const DefaultGOPCacheBytes = 8 << 20

// Hub fans the access units of one camera stream out to readers. Each reader
// has its own bounded queue: a reader that falls behind loses access units
// (counted), never the publisher or the other readers.
type Hub struct {
	Camera        string
	Stream        string
	GOPCacheBytes int
	// Dropped counts access units lost by slow readers; may be nil.
	Dropped *prometheus.CounterVec

	mu       sync.Mutex
	readers  []*Reader
	gop      []*AccessUnit
	gopBytes int
	key      *AccessUnit // the latest keyframe, even when its GOP outgrew the cache
	closed   bool
}

// Publish hands an access unit to every reader without blocking. It is
// called by the single ingest goroutine of the stream.
func (h *Hub) Publish(au *AccessUnit) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.cache(au)
	for _, r := range h.readers {
		r.offer(au)
	}
}

func (h *Hub) cache(au *AccessUnit) {
	limit := h.GOPCacheBytes
	if limit == 0 {
		limit = DefaultGOPCacheBytes
	}
	if au.Keyframe {
		h.key = au
		clear(h.gop)
		h.gop, h.gopBytes = h.gop[:0], 0
	} else if len(h.gop) == 0 || h.gop[0].Session != au.Session {
		h.gop, h.gopBytes = h.gop[:0], 0
		return
	}
	size := au.Size()
	if h.gopBytes+size > limit {
		clear(h.gop)
		h.gop, h.gopBytes = h.gop[:0], 0
		return
	}
	h.gop = append(h.gop, au)
	h.gopBytes += size
}

// LatestKeyframe is the latest keyframe published, or nil. Analytics
// decodes it alone for a full-size look at a picture (ANPR reads small
// plates in the main stream this way), which costs one decode where
// following the stream would cost every frame's.
func (h *Hub) LatestKeyframe() *AccessUnit {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.key
}

// ReaderOptions configure a reader.
type ReaderOptions struct {
	// Name identifies the reader in metrics ("recorder", "live", ...). Keep
	// it low-cardinality.
	Name string
	// Queue is the number of access units the reader may lag behind.
	Queue int
	// Start says where the reader's stream begins.
	Start StartAt
}

// Attach adds a reader. On a closed hub the reader's channel is closed at once.
func (h *Hub) Attach(opts ReaderOptions) *Reader {
	if opts.Queue <= 0 {
		opts.Queue = 256
	}
	r := &Reader{
		hub:  h,
		name: opts.Name,
		q:    NewKeyQueue[*AccessUnit](opts.Queue, opts.Start != StartNow),
	}
	if h.Dropped != nil {
		r.dropCounter = h.Dropped.WithLabelValues(h.Camera, h.Stream, opts.Name)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(r.q.C)
		return r
	}
	if opts.Start == StartCachedKeyframe && len(h.gop) > 0 && len(h.gop) <= cap(r.q.C) {
		for _, au := range h.gop {
			r.q.C <- au
		}
		r.q.WaitKey = false
	}
	h.readers = append(h.readers, r)
	return r
}

func (h *Hub) detach(r *Reader) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, x := range h.readers {
		if x == r {
			h.readers = append(h.readers[:i], h.readers[i+1:]...)
			close(r.q.C)
			return
		}
	}
}

// Readers returns the number of attached readers.
func (h *Hub) Readers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.readers)
}

// Close detaches every reader (their channels are closed) and refuses new
// access units.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for _, r := range h.readers {
		close(r.q.C)
	}
	h.readers = nil
	clear(h.gop)
	h.gop, h.key = nil, nil
}
