// Package custody feeds the evidence log from the recording index: every
// segment sealed and every segment deleted becomes a log entry. The store
// is the outbox: a row is committed there first, logged here, then marked
// with its entry's seq, so a crash in between is caught up at start-up.
package custody

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Appender is what the feeder needs of the evidence log.
type Appender interface {
	Append(ctx context.Context, e *evidence.Entry) (uint64, error)
}

// Feeder logs unlogged segments and deletions, when kicked and every
// Interval as a safety net.
type Feeder struct {
	Store    *store.Store
	Log      Appender
	Interval time.Duration // default 10 s
	Logger   *slog.Logger

	kick   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

const page = 500

// Initialize starts the feeding goroutine.
func (f *Feeder) Initialize() {
	if f.Interval == 0 {
		f.Interval = 10 * time.Second
	}
	f.kick = make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.wg.Add(1)
	go f.run(ctx)
}

// Kick asks for a sync soon; it never blocks (the recorder calls it).
func (f *Feeder) Kick() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Close stops the goroutine after a last sync.
func (f *Feeder) Close() {
	f.cancel()
	f.wg.Wait()
	if _, err := f.Sync(context.Background()); err != nil {
		f.Logger.Error("evidence: logging the last segments failed; they are logged at the next start", "error", err)
	}
}

func (f *Feeder) run(ctx context.Context) {
	defer f.wg.Done()
	t := time.NewTicker(f.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		case <-t.C:
		}
		if _, err := f.Sync(ctx); err != nil && ctx.Err() == nil {
			f.Logger.Error("evidence: cannot log sealed or deleted segments yet; retrying", "error", err)
		}
	}
}

// Sync logs every segment and deletion not logged yet, oldest first, and
// returns how many entries it appended.
func (f *Feeder) Sync(ctx context.Context) (int, error) {
	n := 0
	for {
		segs, err := f.Store.UnloggedSegments(ctx, page)
		if err != nil {
			return n, err
		}
		for _, s := range segs {
			seq, err := f.Log.Append(ctx, SealedEntry(s))
			if err != nil {
				return n, fmt.Errorf("log sealing of %s: %w", s.Path, err)
			}
			if err := f.Store.SetSealedSeq(ctx, s.ID, seq); err != nil {
				return n, err
			}
			n++
		}
		dels, err := f.Store.UnloggedDeletions(ctx, page)
		if err != nil {
			return n, err
		}
		for _, d := range dels {
			seq, err := f.Log.Append(ctx, DeletedEntry(d))
			if err != nil {
				return n, fmt.Errorf("log deletion of %s: %w", d.Segment.Path, err)
			}
			if err := f.Store.SetDeletionLogged(ctx, d.ID, seq); err != nil {
				return n, err
			}
			n++
		}
		if len(segs) < page && len(dels) < page {
			return n, nil
		}
	}
}

// SealedEntry is the segment.sealed entry of a segment.
func SealedEntry(s store.Segment) *evidence.Entry {
	detail := fmt.Sprintf("stream %s sequence %d frames %d", s.StreamID, s.Sequence, s.Frames)
	if s.Repaired {
		detail += " repaired-after-crash"
	}
	return &evidence.Entry{Action: evidence.ActionSegmentSealed, Actor: evidence.ActorRecorder, Camera: s.Camera,
		From: s.Start, To: s.End, ObjectSHA256: s.SHA256, ObjectBytes: s.Bytes, Ref: s.Path, Detail: detail}
}

// DeletedEntry is the tombstone of a deleted segment: it keeps the hash.
func DeletedEntry(d store.Deletion) *evidence.Entry {
	s := d.Segment
	return &evidence.Entry{Action: evidence.ActionSegmentDeleted, Actor: evidence.ActorRetention, Camera: s.Camera,
		From: s.Start, To: s.End, ObjectSHA256: s.SHA256, ObjectBytes: s.Bytes, Reason: d.Reason, Ref: s.Path,
		Detail: "deleted " + d.DeletedAt.UTC().Format(time.RFC3339)}
}
