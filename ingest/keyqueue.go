package ingest

// KeyQueue is a bounded queue of pictures whose producer never blocks: when
// the queue is full the picture is lost, and so is every picture up to the
// next keyframe (a P-frame without its references is useless). Hub readers
// and live viewers both use it. Offer is called by one producer at a time
// (under the producer's lock); C is read by the consumer.
type KeyQueue[T any] struct {
	C chan T
	// WaitKey holds everything back until the first keyframe.
	WaitKey bool
	resync  bool
}

// NewKeyQueue makes a queue of n pictures.
func NewKeyQueue[T any](n int, waitKey bool) KeyQueue[T] {
	return KeyQueue[T]{C: make(chan T, n), WaitKey: waitKey}
}

// Offer enqueues v without blocking and reports whether a picture was lost:
// v itself, when the queue is full or v is skipped while resynchronising.
// Pictures before the first keyframe are held back, not lost.
func (q *KeyQueue[T]) Offer(v T, keyframe bool) (lost bool) {
	if (q.WaitKey || q.resync) && !keyframe {
		return q.resync
	}
	select {
	case q.C <- v:
		q.WaitKey, q.resync = false, false
		return false
	default:
		q.resync = true
		return true
	}
}
