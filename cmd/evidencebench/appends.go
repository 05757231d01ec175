package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// appendConcurrency is the number of goroutines appending at once in the
// group-commit measurement.
const appendConcurrency = 64

// appendRate appends footage.playback entries (the most frequent kind a
// person causes) from workers goroutines for d, each waiting for its own
// entry to be on disk before the next, and returns the appends done.
func (s *site) appendRate(ctx context.Context, workers int, d time.Duration) (rate, error) {
	actor, err := s.store.Pseudonym(ctx, "Operator Olive Bench")
	if err != nil {
		return rate{}, err
	}
	seg := s.segs[0]
	var (
		n       atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				e := playbackEntry(actor, seg, fmt.Sprintf("session-%d-%d", w, i))
				if _, err := s.log.Append(ctx, e); err != nil {
					errOnce.Do(func() { first = err })
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if first != nil {
		return rate{}, first
	}
	return rate{n.Load(), took}, nil
}

func playbackEntry(actor string, seg store.Segment, ref string) *evidence.Entry {
	return &evidence.Entry{Action: evidence.ActionPlayback, Actor: actor, Role: "operator", Camera: seg.Camera,
		From: seg.Start, To: seg.End, Reason: "Review of an incident reported by the police", Ref: ref,
		Detail: "playback in the control room"}
}
